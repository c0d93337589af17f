"""Partner databases for the `sql` connector tests: SQLite in tmp_path, and PostgreSQL when it is there.

The PostgreSQL variant runs when HUB_TEST_DATABASE_URL is an async URL to a database the tests may use
(e.g. postgresql+asyncpg://127.0.0.1:5432/test). Each test gets a schema of its own with a random name,
dropped afterwards, so the tests never touch anyone else's tables in that database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")


@dataclass
class PartnerDatabase:
    """An empty partner database: load tables and rows, then point a connector at `url`."""

    url: str
    engine: AsyncEngine
    #: The PostgreSQL schema holding this test's tables (None on SQLite).
    schema: str | None = None

    def table(self, name: str) -> str:
        """The table name a mapping gives for `name`: schema-qualified on PostgreSQL."""
        return f"{self.schema}.{name}" if self.schema else name

    def mapping(self, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """A mapping whose every section's table lives where this database put it, plus `overrides`."""
        sections = (
            "nominal",
            "alias",
            "address",
            "warning",
            "intelligence",
            "custody",
            "offence",
            "safeguarding",
        )
        defaults = {
            "nominal": "nominal",
            "alias": "nominal_alias",
            "address": "nominal_address",
            "warning": "warning_signal",
            "intelligence": "intel_log",
            "custody": "custody_event",
            "offence": "custody_offence",
            "safeguarding": "vulnerability_referral",
        }
        result: dict[str, Any] = {}
        overrides = overrides or {}
        for section in sections:
            given = dict(overrides.get(section, {}))
            table_name = given.get("table", defaults[section])
            given["table"] = self.table(table_name) if table_name else ""
            result[section] = given
        if "codes" in overrides:
            result["codes"] = overrides["codes"]
        return result

    async def load(self, metadata: MetaData, rows: Sequence[tuple[Table, list[dict[str, Any]]]]) -> None:
        """Create `metadata`'s tables and insert `rows`, table by table in the order given."""
        async with self.engine.begin() as conn:
            conn = await conn.execution_options(schema_translate_map={None: self.schema})
            await conn.run_sync(metadata.create_all)
            for table, values in rows:
                if values:
                    await conn.execute(table.insert(), values)

    async def execute(self, sql: str) -> None:
        """Run one statement; `{schema}.` in it becomes this test's schema (or nothing on SQLite)."""
        prefix = f"{self.schema}." if self.schema else ""
        async with self.engine.begin() as conn:
            await conn.execute(text(sql.replace("{schema}.", prefix)))


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(not PG_URL, reason="HUB_TEST_DATABASE_URL is not set"),
        ),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database(backend: str, tmp_path: Path) -> AsyncIterator[PartnerDatabase]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'partner.db'}"
        engine = create_async_engine(url)
        yield PartnerDatabase(url, engine)
        await engine.dispose()
        return
    assert PG_URL
    schema = f"hub_sql_test_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(PG_URL)
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield PartnerDatabase(make_url(PG_URL).render_as_string(hide_password=False), engine, schema)
    finally:
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await engine.dispose()
