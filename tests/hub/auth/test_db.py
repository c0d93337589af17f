"""The hub's own database: URLs get async drivers, SQLite gets WAL and a busy timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from hub.config.settings import HubSettings
from hub.db import SQLITE_BUSY_TIMEOUT_MS, create_engine, migrate_database, normalise_url


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///hub.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///hub.db", "sqlite+aiosqlite"),
        ("postgresql://db/hub", "postgresql+asyncpg"),
        ("postgres://db/hub", "postgresql+asyncpg"),
        ("postgresql+asyncpg://db/hub", "postgresql+asyncpg"),
    ],
)
def test_plain_urls_get_their_async_driver(url: str, driver: str) -> None:
    assert normalise_url(url).drivername == driver


def test_a_bad_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not a valid SQLAlchemy URL"):
        normalise_url("not a url")


def test_the_default_database_is_a_file_in_the_data_directory(tmp_path: Path) -> None:
    assert HubSettings(data_dir=tmp_path).effective_database_url == f"sqlite+aiosqlite:///{tmp_path}/hub.db"
    url = "postgresql+asyncpg://db/hub"
    assert HubSettings(data_dir=tmp_path, database_url=url).effective_database_url == url


async def test_sqlite_files_get_wal_and_a_busy_timeout_and_their_folder(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new' / 'hub.db'}")
    try:
        await migrate_database(engine)
        async with engine.connect() as conn:
            assert (await conn.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await conn.scalar(text("PRAGMA busy_timeout"))) == SQLITE_BUSY_TIMEOUT_MS
        assert (tmp_path / "new" / "hub.db").exists()
    finally:
        await engine.dispose()


async def test_an_in_memory_database_is_shared_by_the_engines_connections() -> None:
    engine = create_engine("sqlite://")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        async with engine.connect() as conn:
            assert (await conn.scalar(text("SELECT count(*) FROM t"))) == 0
    finally:
        await engine.dispose()
