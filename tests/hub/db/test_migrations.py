"""The hub's database is made and changed by its migrations only: they make exactly the tables the code
declares, run once however many replicas start together, adopt a database made before them, step back, and
a hub told not to migrate refuses an out-of-date database with a clear message."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import MetaData, Table, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrations
from hub.audit.chain import GENESIS_HASH
from hub.audit.inserts import PendingEvent, chained
from hub.audit.store import AuditStore
from hub.audit.tables import audit_chain_head, disclosure_rows, event_row
from hub.cli import cli
from hub.db import SchemaOutOfDate, create_engine, metadata, prepare_database
from tests.hub.audit.conftest import make_event
from tests.support import private_pg_database

HUB_TABLES = {
    "oauth_client",
    "signing_key",
    "person_id_key",
    "trusted_document",
    "audit_event",
    "audit_disclosure",
    "audit_chain_head",
    "watch",
    "partner_cursor",
    "webhook_endpoint",
    "webhook_delivery",
    "watch_source",
}


@pytest.fixture(params=["sqlite", "postgresql"] if os.environ.get("HUB_TEST_DATABASE_URL") else ["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
        return
    with private_pg_database("migrations") as url:
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}


async def test_the_migrations_make_exactly_the_tables_the_code_declares(engine: AsyncEngine) -> None:
    assert await migrations.current(engine) is None
    assert await migrations.upgrade(engine) == migrations.head()
    assert await tables(engine) == HUB_TABLES

    def differences(conn: object) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata))

    async with engine.connect() as conn:
        # A table or column changed in code without a migration shows here.
        assert await conn.run_sync(differences) == []


async def test_upgrading_again_changes_nothing_and_the_chain_starts_at_genesis(engine: AsyncEngine) -> None:
    await migrations.upgrade(engine)
    await migrations.upgrade(engine)
    async with engine.connect() as conn:
        head = (await conn.execute(select(audit_chain_head))).one()
    assert (head.seq, head.hash, head.checkpoint_seq) == (0, GENESIS_HASH, 0)
    assert (await AuditStore(engine).append(make_event(1))).prev_hash == GENESIS_HASH


async def test_upgrades_at_once_in_one_process_take_turns(db_url: str) -> None:
    engines = [create_engine(db_url) for _ in range(3)]
    try:
        revisions = await asyncio.gather(*(migrations.upgrade(e) for e in engines))
        assert revisions == [migrations.head()] * 3
        assert await tables(engines[0]) == HUB_TABLES
    finally:
        for engine in engines:
            await engine.dispose()


async def test_replicas_upgrading_at_once_all_succeed(db_url: str, engine: AsyncEngine) -> None:
    hub = Path(sys.executable).with_name("hub")
    env = {**os.environ, "HUB_DATABASE_URL": db_url}
    replicas = [
        await asyncio.create_subprocess_exec(
            hub, "db", "upgrade", env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    for replica in replicas:
        _, stderr = await asyncio.wait_for(replica.communicate(), 120)
        assert replica.returncode == 0, stderr.decode()
    assert await migrations.current(engine) == migrations.head()
    assert await tables(engine) == HUB_TABLES


async def test_downgrading_to_base_drops_every_table_and_upgrading_again_restores_them(
    engine: AsyncEngine,
) -> None:
    await migrations.upgrade(engine)
    assert await migrations.downgrade(engine, "base") is None
    assert await tables(engine) == set()
    await migrations.upgrade(engine)
    assert await tables(engine) == HUB_TABLES


async def test_a_database_made_before_migrations_is_adopted_with_its_data(engine: AsyncEngine) -> None:
    # What releases before migrations did, with the tables and columns of then.
    then = MetaData()
    later_columns = {"rate_limit", "max_query_cost", "trusted_documents_only", "trace_id"}
    for table in metadata.sorted_tables:
        later_tables = {"person_id_key", "trusted_document", "watch", "partner_cursor"}
        if table.name in HUB_TABLES - later_tables - {"webhook_endpoint", "webhook_delivery", "watch_source"}:
            columns = [c._copy() for c in table.columns if c.name not in later_columns]
            Table(table.name, then, *columns)
    # An event as such a release wrote it: chained the same way, in the columns of then.
    [first], _ = chained(1, GENESIS_HASH, [PendingEvent.of(make_event(1))])
    row = {k: v for k, v in event_row(first).items() if k not in later_columns}
    async with engine.begin() as conn:
        await conn.run_sync(then.create_all)
        await conn.execute(then.tables["audit_event"].insert().values(**row))
        for disclosure in disclosure_rows(first):
            await conn.execute(then.tables["audit_disclosure"].insert().values(**disclosure))
        await conn.execute(
            audit_chain_head.insert().values(
                id=1, seq=1, hash=first.hash, checkpoint_seq=0, checkpoint_hash=GENESIS_HASH
            )
        )

    assert await migrations.upgrade(engine) == migrations.head()
    store = AuditStore(engine)
    assert (await store.append(make_event(2))).seq == 2
    assert (await store.verify()).ok


async def test_a_hub_told_not_to_migrate_refuses_an_out_of_date_database(engine: AsyncEngine) -> None:
    with pytest.raises(SchemaOutOfDate, match=r"at revision none, this hub needs .*hub db upgrade"):
        await prepare_database(engine, migrate=False)
    assert await tables(engine) == set()  # and it changed nothing
    await prepare_database(engine, migrate=True)
    await prepare_database(engine, migrate=False)


def test_hub_db_commands_show_upgrade_and_step_back(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = ["--data-dir", str(tmp_path)]
    before = runner.invoke(cli, ["db", "current", *data_dir])
    assert before.exit_code == 1 and "at revision none" in before.output

    upgraded = runner.invoke(cli, ["db", "upgrade", *data_dir])
    assert upgraded.exit_code == 0 and f"to {migrations.head()}" in upgraded.output
    assert (
        runner.invoke(cli, ["db", "upgrade", *data_dir])
        .output.strip()
        .endswith(f"already at revision {migrations.head()}.")
    )
    assert runner.invoke(cli, ["db", "current", *data_dir]).exit_code == 0

    refused = runner.invoke(cli, ["db", "downgrade", "base", *data_dir], input="n\n")
    assert refused.exit_code == 1 and "Aborted" in refused.output
    down = runner.invoke(cli, ["db", "downgrade", "base", "--yes", *data_dir])
    assert down.exit_code == 0 and "none (base)" in down.output


def test_hub_db_on_an_unreachable_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://hub:secret@127.0.0.1:1/hub")
    result = CliRunner().invoke(cli, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "cannot be used" in result.output and "secret" not in result.output
    assert "Traceback" not in result.output


async def test_the_revision_is_recorded_where_alembic_keeps_it(engine: AsyncEngine) -> None:
    await migrations.upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT version_num FROM alembic_version")) == migrations.head()


async def test_watches_made_before_their_sources_had_a_table_keep_them(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    await migrations.upgrade(engine, "0006")
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO watch (watch_id, client_id, organisation, organisation_type, sources, kinds, "
                "created_at, expires_at) VALUES ('w1', 'investigator', 'N', 'police-force', "
                """'[["eastvale", "EV1"], ["northshire", "NS2"]]', 'custody', '2026-12-07', '2027-01-06')"""
            )
        )

    await migrations.upgrade(engine)

    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT watch_id, partner, record_id FROM watch_source"))).all()
    assert sorted(tuple(r) for r in rows) == [("w1", "eastvale", "EV1"), ("w1", "northshire", "NS2")]
