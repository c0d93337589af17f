"""Fixtures for access control: a real database (SQLite, and PostgreSQL when HUB_TEST_DATABASE_URL is set),
the opened auth services on it, and a small app made of the auth routes, the middleware and an echo endpoint.
"""

from __future__ import annotations

import base64
import json
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import Key
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth.principal import ANONYMOUS, Principal
from hub.auth.services import AuthServices
from hub.auth.tables import oauth_client, signing_key
from hub.config.settings import HubSettings
from hub.consultation import Consultation
from hub.db import create_engine, migrate_database
from hub.http.authentication import BearerAuth
from tests.support import private_pg_database

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
BASE = "http://hub.test"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway database of its own on the test server (other tests use the shared one)."""
    with private_pg_database("hub_auth") as url:
        yield url


# PostgreSQL only where the test server is configured, so that plain runs list no skips.
@pytest.fixture(params=["sqlite", "postgresql"] if PG_URL else ["sqlite"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The hub's database: a SQLite file, then (when configured) a private PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        return
    url: str = request.getfixturevalue("pg_database")
    yield url
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for table in (oauth_client, signing_key):
                await conn.execute(table.delete())
    finally:
        await engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> HubSettings:
    # No client cache: a revocation must show at once in tests.
    return HubSettings(data_dir=tmp_path, database_url=db_url, client_cache_seconds=0)


@pytest.fixture
async def engine(settings: HubSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.effective_database_url)
    await migrate_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def services(settings: HubSettings, engine: AsyncEngine) -> AsyncIterator[AuthServices]:
    services = AuthServices.from_settings(settings, engine)
    await services.open()
    yield services
    await services.aclose()


def echo_app(services: AuthServices) -> Starlette:
    """The auth routes, and a protected echo endpoint that returns the principal (401 for nobody)."""

    async def echo(request: Request) -> Response:
        principal: Principal = Consultation.of(request.scope).principal
        if principal is ANONYMOUS:
            return JSONResponse({"errors": [{"message": "Sign in."}]}, 401)
        return JSONResponse(
            {
                "data": {
                    "client_id": principal.client_id,
                    "subject": principal.subject,
                    "organisation": principal.organisation,
                    "organisation_type": principal.organisation_type,
                    "scopes": sorted(principal.scopes),
                    "purposes": sorted(principal.purposes) if principal.purposes is not None else None,
                    "issuer": principal.issuer,
                    "token_id": principal.token_id,
                }
            }
        )

    async def public(request: Request) -> Response:
        return JSONResponse({"principal": "principal" in request.scope})

    app = Starlette(
        routes=[
            *services.routes(),
            Route("/graphql", echo, methods=["GET", "POST"]),
            Route("/healthz", public, methods=["GET"]),
        ]
    )
    return app


@pytest.fixture
async def http(services: AuthServices) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP to the echo app behind the bearer middleware."""
    transport = httpx.ASGITransport(app=BearerAuth(echo_app(services), services.validator))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return value


def header_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[0]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return value


def sign(header: dict[str, Any], claims: dict[str, Any], key: Key) -> str:
    """A JWT signed as the header says: for tokens the hub would never issue."""
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", SecurityWarning
        )  # EdDSA's RFC 9864 deprecation: tests sign it on purpose
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])
