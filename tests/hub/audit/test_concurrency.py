"""Appends at once, from one process (group commits) or several (one lock on the head), make one linear,
verifiable chain; a group that fails fails every event in it, and an event given up on is never written."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.store import AuditFilter, AuditStore, AuditUnavailable
from hub.db import create_engine
from tests.hub.audit.conftest import make_event, sql

PER_PROCESS = 100

# A hub process in miniature: its own engine and store, four requests at a time appending as fast as they can.
WRITER = """
import asyncio, sys
from hub.audit.store import AuditStore
from hub.db import create_engine
from tests.hub.audit.conftest import make_event

async def main(url: str, client: str, count: int) -> None:
    engine = create_engine(url)
    try:
        store = AuditStore(engine, write_timeout=30.0)
        for start in range(0, count, 4):
            await asyncio.gather(
                *(store.append(make_event(n, client_id=client)) for n in range(start, min(start + 4, count)))
            )
    finally:
        await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_appending_at_once_make_one_chain(db_url: str, store: AuditStore) -> None:
    root = Path(__file__).resolve().parents[3]
    writers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, db_url, client, str(PER_PROCESS), cwd=root, stderr=subprocess.PIPE
        )
        for client in ("replica-a", "replica-b")
    ]
    for writer in writers:
        _, stderr = await asyncio.wait_for(writer.communicate(), 120)
        assert writer.returncode == 0, stderr.decode()

    result = await store.verify()
    assert (result.ok, result.checked) == (True, 2 * PER_PROCESS), result.reason
    assert await store.count(AuditFilter(client_id="replica-a")) == PER_PROCESS
    assert await store.count(AuditFilter()) == 2 * PER_PROCESS
    assert (await store.append(make_event())).seq == 2 * PER_PROCESS + 1


@pytest.fixture
def head_moves() -> Iterator[list[str]]:
    """Every statement that moves the chain head on, on any engine: one per transaction that appends."""
    seen: list[str] = []

    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if re.search(r"UPDATE audit_chain_head SET seq\s*=", statement):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", _seen)
    yield seen
    event.remove(Engine, "before_cursor_execute", _seen)


async def test_appends_at_once_in_one_process_commit_in_groups(
    store: AuditStore, head_moves: list[str]
) -> None:
    written = await asyncio.gather(*(store.append(make_event(n)) for n in range(60)))

    assert sorted(s.seq for s in written) == list(range(1, 61))
    assert sorted(s.event.request_id for s in written) == sorted(f"req-{n}" for n in range(60))
    # Requests that finish together (or while a transaction writes) are committed together.
    assert len(head_moves) < 60
    result = await store.verify()
    assert (result.ok, result.checked) == (True, 60), result.reason


async def test_a_group_that_fails_fails_every_event_in_it(engine: AsyncEngine, store: AuditStore) -> None:
    await sql(engine, "DROP TABLE audit_disclosure")
    results = await asyncio.wait_for(
        asyncio.gather(*(store.append(make_event(n)) for n in range(5)), return_exceptions=True), 30
    )
    assert all(isinstance(r, AuditUnavailable) for r in results), results
    assert await store.count(AuditFilter()) == 0


async def test_an_event_given_up_on_is_never_written_later(engine: AsyncEngine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("holds SQLite's write lock from another connection")
    store = AuditStore(engine, write_timeout=0.3)
    blocker = sqlite3.connect(engine.url.database or "", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        # The first holds the store's writer and waits on the database; the second queues behind it.
        results = await asyncio.wait_for(
            asyncio.gather(store.append(make_event(1)), store.append(make_event(2)), return_exceptions=True),
            10,
        )
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert all(isinstance(r, AuditUnavailable) for r in results), results

    later = await store.append(make_event(3))
    assert later.seq == 1 and later.event.request_id == "req-3"
    assert await store.count(AuditFilter()) == 1


async def test_a_store_that_knows_the_head_appends_in_one_statement_until_another_writes(
    engine: AsyncEngine, db_url: str
) -> None:
    statements: list[str] = []

    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", _seen)
    first, second = AuditStore(engine), AuditStore(create_engine(db_url))
    try:
        await first.append(make_event(1))  # learns where the head is
        statements.clear()
        await first.append(make_event(2))
        one_statement = [s for s in statements if "audit" in s]
        await second.append(make_event(3))  # another replica moves the head
        assert (await first.append(make_event(4))).seq == 4  # its known head is stale: it locks and reads
    finally:
        event.remove(Engine, "before_cursor_execute", _seen)
        await first.aclose()
        await second.aclose()
        await second.engine.dispose()
    if engine.dialect.name == "postgresql":
        assert len(one_statement) == 1 and one_statement[0].lstrip().startswith("WITH head AS")
    result = await first.verify()
    assert (result.ok, result.checked) == (True, 4), result.reason
    assert [e.event.request_id for e in await first.events(AuditFilter())] == [
        "req-1",
        "req-2",
        "req-3",
        "req-4",
    ]
