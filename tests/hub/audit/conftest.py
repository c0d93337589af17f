"""Fixtures for the audit trail: a real database (a SQLite file, and a private PostgreSQL database when
HUB_TEST_DATABASE_URL is set), the store on it, and events to append.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.events import AuditEvent, Disclosure
from hub.audit.store import AuditStore, create_audit_schema
from hub.db import create_engine, metadata
from tests.support import private_pg_database

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A throwaway database on the test server, so nothing here touches the shared `test` database."""
    with private_pg_database("audit") as url:
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
        # Not a downgrade: a test may have dropped a table behind the store's back.
        async with engine.begin() as conn:
            await conn.run_sync(metadata.drop_all, checkfirst=True)
            await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    finally:
        await engine.dispose()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    await create_audit_schema(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(engine: AsyncEngine) -> AsyncIterator[AuditStore]:
    store = AuditStore(engine, write_timeout=10.0)
    yield store
    await store.aclose()


def make_event(n: int = 1, **changes: Any) -> AuditEvent:
    """An investigator's person look-up that disclosed one person and a marker of theirs."""
    values: dict[str, Any] = {
        "occurred_at": datetime(2026, 1, 5, 9, 30, tzinfo=UTC) + timedelta(seconds=n),
        "request_id": f"req-{n}",
        "client_id": "investigator",
        "subject": "officer-4721",
        "organisation": "Northshire Police",
        "organisation_type": "police-force",
        "scopes": ("person:read", "person:search"),
        "purpose": "investigation",
        "justification": f"Op KESTREL, case {n}",
        "operation_name": "Person",
        "document": "query Person($id: ID!) { person(id: $id) { name markers { kind } } }",
        "variables": {"id": f"northshire:P{n}"},
        "denied_fields": (),
        "disclosed": (
            Disclosure("northshire", "person", f"P{n}", f"P{n}"),
            Disclosure("northshire", "marker", f"P{n}", f"P{n}"),
        ),
        "failed_partners": (),
        "outcome": "ok",
        "http_status": 200,
        "latency_ms": 12.345678,
    }
    values.update(changes)
    return AuditEvent(**values)


async def sql(engine: AsyncEngine, *statements: str) -> None:
    """Change the database behind the store's back, as someone with write access to it could."""
    async with engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
