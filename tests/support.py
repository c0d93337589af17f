"""Helpers the tests share: running demo partners, partner configurations, the hub in process, and private
PostgreSQL databases."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.contract import PartnerConfig
from connectors.demo import graphql_partner, rest_partner
from connectors.demo.clients import seed_demo_clients
from connectors.demo.embedded import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, partners_toml
from connectors.demo.serve import ServerThread
from hub.auth.clients import ClientStore
from hub.config.partners_file import parse_partners
from hub.config.settings import HubSettings
from hub.db import create_engine, migrate_database
from hub.http.app import create_app


@dataclass
class Partner:
    """A running demo partner server: its app (request log, faults) and its URL."""

    server: ServerThread
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def log(self) -> Any:
        return self.app.state.log

    @property
    def faults(self) -> Any:
        return self.app.state.faults

    def kinds(self) -> list[str]:
        """The kind of records each request asked for, in order ("people+custody": several in one)."""
        return [e["kind"] for e in self.log.snapshot()]

    def kinds_asked(self) -> Counter[str]:
        """How many requests asked for each kind of records, whether alone or with others."""
        return Counter(kind for asked in self.kinds() for kind in asked.split("+"))


def start_rest(url: str) -> Partner:
    app = rest_partner.create_app(url, clients={DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    return Partner(ServerThread(app).start(), app)


def start_graphql(url: str) -> Partner:
    app = graphql_partner.create_app(url)
    return Partner(ServerThread(app).start(), app)


def partner_configs(
    demo_urls: dict[str, str], southmoor_url: str, eastvale_url: str, timeout: float = 5.0
) -> list[PartnerConfig]:
    """The demo's own partners file, pointed at these partner servers."""
    endpoints = {"southmoor": southmoor_url, "eastvale": eastvale_url}
    return parse_partners(tomllib.loads(partners_toml(demo_urls, endpoints, timeout)))


class HubClient:
    """The hub app in process (its lifespan run), spoken to over ASGI as an HTTP client would.

    Requests carry a real signed token for a demo client (the investigator unless told otherwise) and the
    purpose headers; `client=None` sends no token, `purpose=None` no purpose.
    """

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client
        self._tokens: dict[str, str] = {}

    async def token(self, client_id: str) -> str:
        if client_id not in self._tokens:
            self._tokens[client_id] = await self.app.state.auth.token_for(client_id)
        return self._tokens[client_id]

    async def headers(
        self, client: str | None, purpose: str | None, justification: str | None
    ) -> dict[str, str]:
        headers = {}
        if client is not None:
            headers["Authorization"] = f"Bearer {await self.token(client)}"
        if purpose is not None:
            headers["Hub-Purpose"] = purpose
        if justification is not None:
            headers["Hub-Justification"] = justification
        return headers

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        client: str | None = "investigator",
        purpose: str | None = "investigation",
        justification: str | None = "Test suite: Operation Kestrel, ref 24/1234",
    ) -> httpx.Response:
        headers = await self.headers(client, purpose, justification)
        return await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def query(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        response = await self.post(query, variables, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def connector(self, name: str) -> Any:
        return self.app.state.partners.get(name)

    async def add_client(
        self,
        org_type: str,
        scopes: list[str],
        purposes: list[str] | None = None,
        organisation: str = "Test Org",
    ) -> str:
        """A new client of the hub with exactly these scopes (as an administrator would add it)."""
        client_id = f"test-{uuid.uuid4().hex[:10]}"
        await self.app.state.auth.clients.add(
            client_id, organisation, org_type, scopes, purposes=purposes, description="test client"
        )
        return client_id


_template_lock = threading.Lock()
_template_path: Path | None = None


def _build_template(path: Path) -> None:
    """A hub database at the latest revision holding the demo clients (no signing keys, no audit events)."""

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate_database(engine)
            await seed_demo_clients(ClientStore(engine))
        finally:
            await engine.dispose()

    # In a thread of its own: callers are inside a running event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    with closing(sqlite3.connect(path)) as db:  # everything in the file itself, nothing left in the WAL
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def template_hub_database() -> Path:
    """This test process's template hub database, made on first use: migrating and hashing the demo
    clients' secrets (scrypt, deliberately slow) is paid once per run, not once per hub. Never opened
    by a hub: `open_hub` gives each hub a copy of its own."""
    global _template_path
    with _template_lock:
        if _template_path is None:
            folder = Path(tempfile.mkdtemp(prefix="hub-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            _build_template(folder / "hub.db")
            _template_path = folder / "hub.db"
        return _template_path


async def open_hub(
    configs: list[PartnerConfig], settings: HubSettings | None = None, data_dir: Path | None = None
) -> AsyncIterator[HubClient]:
    """The hub in process, its own database a fresh SQLite file (in `data_dir`, else a temporary folder).

    The file starts as a copy of the template (migrated, the demo clients in it), unless `data_dir` already
    holds a hub database; the lifespan then migrates it (nothing to do) and makes this hub's own keys. A
    `database_url` the test's settings name (a private PostgreSQL database) is used instead, as it is.
    """
    with tempfile.TemporaryDirectory() as scratch:
        settings = settings or HubSettings()
        own_database = "database_url" in settings.model_fields_set and settings.database_url is not None
        update: dict[str, Any] = {"data_dir": data_dir or Path(scratch)}
        if not own_database:
            update["database_url"] = None
        if "watch_poll_seconds" not in settings.model_fields_set:
            # No background poll of the partners' change feeds unless a test asks: it would show in the
            # partners' request logs that tests count.
            update["watch_poll_seconds"] = 0
        settings = settings.model_copy(update=update)
        database = settings.data_dir / "hub.db"
        if not own_database:
            assert settings.effective_database_url == f"sqlite+aiosqlite:///{database}"
        if not own_database and not database.exists():
            database.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(template_hub_database(), database)
        app = create_app(settings, partners=configs)
        async with app.router.lifespan_context(app):
            await seed_demo_clients(app.state.auth.clients)  # none missing unless `data_dir` had a database
            transport = httpx.ASGITransport(app=app)
            # A client that speaks GraphQL over HTTP: request errors come with their own 4xx status.
            accept = {"Accept": "application/graphql-response+json"}
            base = "http://hub.test"
            async with httpx.AsyncClient(transport=transport, base_url=base, headers=accept) as client:
                yield HubClient(app, client)


async def open_demo_hub(
    demo_urls: dict[str, str],
    southmoor: Partner,
    eastvale: Partner,
    data_dir: Path | None = None,
    **settings: Any,
) -> AsyncIterator[HubClient]:
    """`open_hub` on the three demo partners, with these settings (HUB_* names, lower-cased, no prefix)."""
    configs = partner_configs(demo_urls, southmoor.url, eastvale.url)
    # Closed with this generator: an `async for` alone would leave the inner one (and its hub) open.
    async with aclosing(open_hub(configs, HubSettings(**settings), data_dir)) as hubs:
        async for client in hubs:
            yield client


def wait_until_healthy(url: str, deadline: float, processes: Sequence[subprocess.Popen[Any]] = ()) -> None:
    """Wait for the hub at `url` to answer `/healthz` with 200, until `deadline` (time.monotonic()); fail if
    it does not, or if one of `processes` (the hub's) exits meanwhile."""
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"the hub at {url} did not start"
        assert all(p.poll() is None for p in processes), f"the hub at {url} exited before it started"
        time.sleep(0.1)


PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


def _admin(statement: str) -> None:
    """Run one statement on the test server's own database, outside any transaction, in a thread of its
    own (callers may be inside a running event loop)."""
    assert PG_URL

    async def run() -> None:
        engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@contextmanager
def private_pg_database(prefix: str) -> Iterator[str]:
    """A throwaway database on the test server (HUB_TEST_DATABASE_URL), dropped afterwards, so nothing
    touches the shared one. Skips the test where no server is configured or databases cannot be made."""
    if not PG_URL:
        pytest.skip("HUB_TEST_DATABASE_URL is not set")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        _admin(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # no CREATEDB right: do not risk the shared database
        pytest.skip(f"cannot create a private database on the test server: {exc}")
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
