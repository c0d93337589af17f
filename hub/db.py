"""The hub's own database: OAuth clients, signing keys and the audit trail.

One `MetaData` holds every table the hub owns; modules that own tables (`hub.auth.tables`,
`hub.audit.tables`) add theirs to it at import. SQLite is the embedded default (one file in the data
directory); PostgreSQL is what replicas share in production. The schema is made and changed by Alembic
migrations only (`hub.migrations`, `hub db upgrade`); `metadata` is what they are checked against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "SchemaOutOfDate",
    "as_utc",
    "create_engine",
    "create_sqlite_writer_engine",
    "insert_new",
    "metadata",
    "migrate_database",
    "normalise_url",
    "prepare_database",
    "sqlite_file_url",
]

metadata = MetaData()
"""Every table of the hub's own database."""


class SchemaOutOfDate(Exception):
    """The database is not at the schema revision this code needs (and the hub was told not to migrate)."""


#: How long a SQLite writer waits for another (a `hub clients` command beside a running hub) before failing.
SQLITE_BUSY_TIMEOUT_MS = 5000

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def normalise_url(url: str | URL) -> URL:
    """The URL with its async driver: `sqlite://` -> aiosqlite, `postgresql://` -> asyncpg.

    Raises:
        ValueError: the URL cannot be parsed.
    """
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError, which says little to an operator
        raise ValueError(f"Database URL {str(url)!r} is not a valid SQLAlchemy URL.") from exc
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def create_engine(url: str) -> AsyncEngine:
    """An async engine on the hub's database.

    A SQLite file gets WAL (readers never wait for the writer) and a busy timeout (two processes on one
    file, say `hub demo` and `hub clients add`, take turns instead of failing); its folder is created.
    An in-memory SQLite database is shared by every connection of the engine.

    Args:
        url: Any SQLAlchemy URL; plain `sqlite://` and `postgresql://` URLs get their async drivers.
    """
    parsed = normalise_url(url)
    if not parsed.drivername.startswith("sqlite"):
        return create_async_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = _in_memory(database)
    if in_memory:
        engine = create_async_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not database.startswith("file:"):  # a URI filename names an existing file (mode=ro, ...)
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed)

    _set_sqlite_pragmas(engine.sync_engine, wal=not in_memory, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
    return engine


def sqlite_file_url(url: str | URL) -> URL | None:
    """A SQLite file's URL with the synchronous driver; None for other databases and in-memory SQLite."""
    parsed = normalise_url(url)
    if not parsed.drivername.startswith("sqlite") or _in_memory(parsed.database or ""):
        return None
    return parsed.set(drivername="sqlite+pysqlite")


def _in_memory(database: str) -> bool:
    return database in ("", ":memory:") or database.startswith("file::memory:")


def create_sqlite_writer_engine(url: URL, busy_timeout_ms: int) -> Engine:
    """A synchronous engine on a SQLite file, for short write transactions run whole in a worker thread.

    Each statement through the async engine costs a hop to aiosqlite's thread and back; a transaction of
    five statements run in one worker thread costs one. The audit trail writes this way.
    """
    engine = create_sync_engine(url)
    _set_sqlite_pragmas(engine, wal=True, busy_timeout_ms=busy_timeout_ms)
    return engine


def _set_sqlite_pragmas(engine: Engine, wal: bool, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()


async def migrate_database(engine: AsyncEngine) -> None:
    """Bring the hub's database to the latest schema revision (idempotent; safe for replicas at once)."""
    from hub.migrations import upgrade  # the migrations import the tables, which import this module

    await upgrade(engine)


async def prepare_database(engine: AsyncEngine, migrate: bool) -> None:
    """Before the hub or a command uses its database: migrate it to the latest revision, or, where a
    deployment step does that (`migrate=False`), check that it is there.

    Raises:
        SchemaOutOfDate: `migrate` is false and the database is not at the latest revision.
        sqlalchemy.exc.DBAPIError: the database cannot be reached or changed.
    """
    from hub.migrations import require_current

    if migrate:
        await migrate_database(engine)
    else:
        await require_current(engine)


def insert_new(dialect: str, table: Table) -> Any:
    """An INSERT into `table` that leaves out rows whose key is there already (ON CONFLICT DO NOTHING), for
    the hub's two databases (`dialect`: a connection's `dialect.name`)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


def as_utc(moment: datetime) -> datetime:
    """A timestamp read back from the database, in UTC: SQLite returns `DateTime(timezone=True)` naive."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
