"""Shared fixtures: the three demo partners as real servers on loopback, and the hub in front of them.

The demo records are generated once per session. The SQL partner's database is SQLite, or PostgreSQL when
HUB_TEST_DATABASE_URL points at one (an async SQLAlchemy URL, e.g. postgresql+asyncpg://127.0.0.1/test).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from connectors.demo.data import populate
from tests.support import (
    HubClient,
    Partner,
    open_hub,
    partner_configs,
    private_pg_database,
    start_graphql,
    start_rest,
)

#: People per force in the test records: enough for overlaps and common surnames, quick to generate.
TEST_PEOPLE = 300
TEST_SEED = 2026
PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def demo_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("demo-data")
    urls = {
        force: f"sqlite+aiosqlite:///{data / f'{force}.db'}"
        for force in ("northshire", "southmoor", "eastvale")
    }
    with contextlib.ExitStack() as stack:
        if PG_URL:
            # A database of this session's own: two runs on one server never rewrite each other's records.
            urls["northshire"] = stack.enter_context(private_pg_database("northshire"))
        asyncio.run(populate(urls, TEST_PEOPLE, TEST_SEED))
        yield urls


@pytest.fixture(scope="session")
def southmoor_server(demo_urls: dict[str, str]) -> Iterator[Partner]:
    partner = start_rest(demo_urls["southmoor"])
    yield partner
    partner.server.stop()


@pytest.fixture(scope="session")
def eastvale_server(demo_urls: dict[str, str]) -> Iterator[Partner]:
    partner = start_graphql(demo_urls["eastvale"])
    yield partner
    partner.server.stop()


@pytest.fixture
def southmoor(southmoor_server: Partner) -> Iterator[Partner]:
    southmoor_server.log.clear()
    yield southmoor_server
    southmoor_server.faults.clear()


@pytest.fixture
def eastvale(eastvale_server: Partner) -> Iterator[Partner]:
    eastvale_server.log.clear()
    yield eastvale_server
    eastvale_server.faults.clear()


@pytest.fixture
async def hub(demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> AsyncIterator[HubClient]:
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url)):
        yield client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def own_eastvale(demo_urls: dict[str, str], tmp_path: Path) -> Iterator[Partner]:
    """Eastvale on a copy of its records: what a test adds there (an arrest) touches no other test's data."""
    copy = tmp_path / "eastvale-own.db"
    shutil.copyfile(str(make_url(demo_urls["eastvale"]).database), copy)
    partner = start_graphql(f"sqlite+aiosqlite:///{copy}")
    yield partner
    partner.server.stop()


@pytest.fixture
def own_northshire(demo_urls: dict[str, str], tmp_path: Path) -> str:
    """Northshire's records, copied (a SQLite file): what a test adds touches no other test's data."""
    if make_url(demo_urls["northshire"]).get_backend_name() != "sqlite":
        pytest.skip("the copy is of a SQLite file; on PostgreSQL the SQL partner is shared")
    copy = tmp_path / "northshire-own.db"
    shutil.copyfile(str(make_url(demo_urls["northshire"]).database), copy)
    return f"sqlite+aiosqlite:///{copy}"
