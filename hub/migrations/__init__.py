"""The hub database's schema, versioned: Alembic migrations, run from code (no alembic.ini).

    upgrade(engine)        bring the database to the latest revision (what `hub db upgrade` and, with
                           HUB_AUTO_MIGRATE, the hub's start-up do); safe for replicas starting together
    downgrade(engine, r)   step back to revision `r` ("base": drop every table the hub owns)
    current(engine)        the revision the database is at (None: not under migration control yet)
    head()                 the latest revision this code knows

A database made by an earlier release with `create_all` (tables there, no `alembic_version`) is adopted:
it is stamped at the first revision, which made exactly those tables, and upgraded from there.

Migrations run in one transaction that first takes a lock (an advisory lock on PostgreSQL, the write lock on
SQLite), so replicas upgrading at once take turns and the later ones find nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import hub.audit.tables
import hub.auth.tables
import hub.watches.tables  # noqa: F401  # each registers its tables on hub.db.metadata
from hub.db import SchemaOutOfDate

__all__ = [
    "BASELINE",
    "SchemaOutOfDate",
    "current",
    "downgrade",
    "head",
    "require_current",
    "upgrade",
]

log = logging.getLogger(__name__)

#: The first revision: the tables releases before migrations made with `create_all`.
BASELINE = "0001"
_HERE = Path(__file__).parent
#: pg_advisory_xact_lock key: "hub-migr" as a 64-bit integer.
_PG_LOCK = int.from_bytes(b"hub-migr", "big") - (1 << 63)


# Alembic's `context` is one module-level proxy: migrations in one process must run one at a time.
_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _one_at_a_time() -> asyncio.Lock:
    return _LOCKS.setdefault(asyncio.get_running_loop(), asyncio.Lock())


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The latest revision this code knows."""
    revision = ScriptDirectory.from_config(_config()).get_current_head()
    assert revision is not None
    return revision


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _take_turns(connection: Connection) -> None:
    """Make this migration the only one on the database until it commits: the others wait, then find
    nothing to do. The DDL then commits or rolls back as one (both databases have transactional DDL)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
    elif connection.dialect.name == "sqlite":
        # Python's sqlite3 runs DDL outside any transaction unless one is begun explicitly.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: Connection, revision: str) -> None:
    _take_turns(connection)
    if _current(connection) is None and inspect(connection).has_table("audit_event"):
        log.info("adopting a database made before migrations: stamping it at %s", BASELINE)
        command.stamp(_config(connection), BASELINE)
    command.upgrade(_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    _take_turns(connection)
    command.downgrade(_config(connection), revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Bring the hub's database to `revision` (default: the latest); returns the revision it is at.

    Raises:
        sqlalchemy.exc.DBAPIError: the database cannot be reached or changed.
    """
    async with _one_at_a_time(), engine.begin() as conn:
        await conn.run_sync(_upgrade, revision)
    return await current(engine)


async def downgrade(engine: AsyncEngine, revision: str) -> str | None:
    """Step the hub's database back to `revision` ("base": no tables of the hub's left)."""
    async with _one_at_a_time(), engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)
    return await current(engine)


async def current(engine: AsyncEngine) -> str | None:
    """The revision the hub's database is at; None when it has none (empty, or made before migrations)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def require_current(engine: AsyncEngine) -> None:
    """Check that the database is at the latest revision, without changing it.

    Raises:
        SchemaOutOfDate: it is not (the message says what to run).
    """
    at, latest = await current(engine), head()
    if at != latest:
        raise SchemaOutOfDate(
            f"The hub's database is at revision {at or 'none'}, this hub needs {latest}: "
            "run `hub db upgrade` (or set HUB_AUTO_MIGRATE=true)."
        )
