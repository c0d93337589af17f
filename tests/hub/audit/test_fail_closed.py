"""When the trail cannot be written the store says so with `AuditUnavailable`, and nothing else, within
its write timeout: the hub then withholds the response (fail closed).

The outer `asyncio.wait_for` bounds are not measurements, only a guard that a hang fails the test.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.store import AuditFilter, AuditStore, AuditUnavailable, create_audit_schema
from hub.db import create_engine
from tests.hub.audit.conftest import make_event

T = TypeVar("T")


async def unavailable(action: Awaitable[T], within: float = 5.0) -> AuditUnavailable:
    with pytest.raises(AuditUnavailable) as caught:
        await asyncio.wait_for(action, within)
    return caught.value


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose server accepts connections and never says a word: a database that hangs, so
    only the timeout ends a call to it (the kernel completes the handshake from the listen backlog)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("dead", ["refused", "silent"])
async def test_a_dead_database_gives_audit_unavailable(dead: str, request: pytest.FixtureRequest) -> None:
    if dead == "refused":
        url = "postgresql+asyncpg://hub@127.0.0.1:1/nothing"  # refused at once
    else:
        url = f"postgresql+asyncpg://hub@127.0.0.1:{request.getfixturevalue('silent_port')}/nothing"
    engine = create_engine(url)
    try:
        store = AuditStore(engine, write_timeout=0.5, read_timeout=0.5)
        await unavailable(store.append(make_event()))
        error = await unavailable(store.events(AuditFilter()))
        assert "read the audit trail" in str(error)
    finally:
        await engine.dispose()


async def test_a_read_only_database_gives_audit_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    writable = create_engine(f"sqlite+aiosqlite:///{path}")
    await create_audit_schema(writable)
    await writable.dispose()
    # mode=ro, not file permissions: the tests may run as root, whom permissions do not stop.
    engine = create_engine(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true")
    try:
        error = await unavailable(AuditStore(engine).append(make_event()))
        assert "readonly database" in str(error)
    finally:
        await engine.dispose()


async def test_missing_tables_give_audit_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        store = AuditStore(engine)
        await unavailable(store.append(make_event()))
        await unavailable(store.verify())
        await unavailable(store.count(AuditFilter()))
        await unavailable(store.access_log([("northshire", "P1")]))
    finally:
        await engine.dispose()


async def test_a_writer_holding_the_lock_too_long_makes_an_append_give_up(engine: AsyncEngine) -> None:
    store = AuditStore(engine, write_timeout=0.3)
    if engine.dialect.name == "sqlite":
        blocker = sqlite3.connect(engine.url.database or "", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            error = await unavailable(store.append(make_event(1)))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert "database is locked" in str(error)
    else:
        async with engine.connect() as holder:
            await holder.execute(text("UPDATE audit_chain_head SET seq = seq"))  # holds the row lock
            error = await unavailable(store.append(make_event(1)))
            await holder.rollback()
        assert "within 0.3 s" in str(error)
    # The failed write left nothing behind: the next one takes its place.
    assert (await store.append(make_event(2))).seq == 1
    assert (await store.verify()).ok


async def test_reads_that_fail_are_audit_unavailable_too(engine: AsyncEngine, store: AuditStore) -> None:
    await store.append(make_event())
    await engine.dispose()
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE audit_disclosure"))
    await unavailable(store.events(AuditFilter()))
    await unavailable(store.export(None, None).__anext__())


async def test_a_writer_holding_the_lock_briefly_delays_an_append_but_never_the_event_loop(
    engine: AsyncEngine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock: PostgreSQL appends never block the event loop")
    store = AuditStore(engine, write_timeout=5.0)
    blocker = sqlite3.connect(engine.url.database or "", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def release_later() -> None:
        await asyncio.sleep(0.3)
        blocker.execute("ROLLBACK")

    ticking = asyncio.create_task(ticker())
    try:
        stored, _ = await asyncio.wait_for(asyncio.gather(store.append(make_event(1)), release_later()), 10)
    finally:
        ticking.cancel()
        blocker.close()
    assert stored.seq == 1 and (await store.verify()).ok
    # While the append waited for the lock (0.3 s), the loop went on serving others.
    assert ticks >= 10
