"""The audit trail's writer: appends commit in groups, on SQLite and on PostgreSQL each its own way.

Within one process, appends commit in groups: while one transaction is writing, the events of requests that
finish meanwhile queue up, and the next transaction writes them all (a group commit). A lone request pays
for one short transaction; under load the lock on the head is taken once per group, not once per event, so
the chain's one-writer-at-a-time does not cap the hub's throughput. An event is committed before `append`
returns, or not at all (past its request's deadline, or on any error: `AuditUnavailable`).

How a group is committed depends on the database (`GroupWriter._write_group`):

    SQLite file   a whole transaction on a synchronous connection, in the event loop itself, never waiting
                  for SQLite's lock there; if another process holds it, in a worker thread that waits for
                  it until the deadline (`_write_sqlite` says why the loop first)
    PostgreSQL    at the head this process last wrote, one self-committing statement guarded on that head
                  (`_PG_APPEND_AT_KNOWN_HEAD`); otherwise, or if another replica wrote meanwhile, the
                  locking way every database has (`hub.audit.inserts`)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hub.audit.errors import AuditUnavailable, failing_closed
from hub.audit.events import AuditEvent, StoredEvent
from hub.audit.inserts import (
    MOVE_HEAD,
    PendingEvent,
    chain_group,
    chained,
    insert_group,
    lock_head,
    pg_rows,
)
from hub.audit.tables import HEAD_ID
from hub.db import create_sqlite_writer_engine, sqlite_file_url

__all__ = ["GroupWriter"]

#: At most this many events in one group commit.
_MAX_GROUP = 200

# PostgreSQL, when this process wrote the last event (it knows the head): the whole group in one statement,
# committed on its own (no BEGIN, no COMMIT: one round trip). The head moves only if it is still where this
# process left it, and the rows go in only if it moved; if another replica wrote meanwhile nothing changes,
# the count is 0, and the group goes the locking way (`GroupWriter._append_locked`).
_PG_APPEND_AT_KNOWN_HEAD = text(
    f"""
    WITH head AS (
        UPDATE audit_chain_head SET seq = :new_seq, hash = :new_hash
        WHERE id = {HEAD_ID} AND seq = :expected_seq AND hash = :expected_hash
        RETURNING seq
    ), events AS (
        INSERT INTO audit_event
        SELECT r.* FROM json_populate_recordset(NULL::audit_event, CAST(:events AS json)) AS r
        WHERE EXISTS (SELECT 1 FROM head)
    ), disclosures AS (
        INSERT INTO audit_disclosure
        SELECT r.* FROM json_populate_recordset(NULL::audit_disclosure, CAST(:disclosures AS json)) AS r
        WHERE EXISTS (SELECT 1 FROM head)
    )
    SELECT count(*) FROM head
    """
)


class _Busy(Exception):
    """Another writer holds SQLite's write lock (raised only when not waiting for it)."""


#: SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock.
_SQLITE_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _loop_time(monotonic: float) -> float:
    """A `time.monotonic()` moment on the running loop's clock (the same clock, unless a loop changed it)."""
    return asyncio.get_running_loop().time() + (monotonic - time.monotonic())


class GroupWriter:
    """Appends events to the chain in the hub's database, in group commits.

    Args:
        engine: The hub's database (`create_audit_schema` must have run on it).
        write_timeout: Seconds an append may take in all, waiting for other writers included.
    """

    def __init__(self, engine: AsyncEngine, write_timeout: float) -> None:
        self.engine = engine
        self.write_timeout = write_timeout
        self._queue: list[PendingEvent] = []
        self._writing = asyncio.Lock()
        # A SQLite file is written on a synchronous connection, a whole transaction at a time: in the event
        # loop, or in a worker thread while another process holds the lock (`_write_sqlite`).
        file_url = sqlite_file_url(engine.url)
        busy_ms = max(1, int(write_timeout * 1000))
        self._sqlite_writer = create_sqlite_writer_engine(file_url, busy_ms) if file_url else None
        # PostgreSQL: one connection of its own, in autocommit, for appends at the head this process knows
        # (appends in one process are one at a time anyway). No pre-ping: a dropped connection fails one
        # group, which fails closed, and the pool opens a new one for the next.
        self._known_head: tuple[int, str] | None = None
        self._pg_autocommit: AsyncEngine | None = None
        if engine.dialect.name == "postgresql":
            self._pg_autocommit = create_async_engine(
                engine.url, pool_size=1, max_overflow=1, isolation_level="AUTOCOMMIT"
            )

    async def append(self, event: AuditEvent) -> StoredEvent:
        """Add an event to the end of the chain and commit it (with any others queued meanwhile).

        Raises:
            AuditUnavailable: it could not be committed within `write_timeout`, for any reason. Then it was
                not committed at all: a request that fails closed never leaves an event saying it disclosed.
        """
        pending = PendingEvent.of(event, time.monotonic() + self.write_timeout)
        self._queue.append(pending)
        try:
            async with failing_closed("write the audit event", self.write_timeout):
                async with asyncio.timeout_at(_loop_time(pending.deadline)):
                    await self._writing.acquire()
                # Whoever holds the lock writes everything queued; a waiter often finds its event written.
                try:
                    while not pending.settled:
                        await self._write_group()
                finally:
                    self._writing.release()
                if pending.error is not None:
                    raise pending.error
                assert pending.stored is not None
                return pending.stored
        finally:
            if not pending.settled and pending in self._queue:
                self._queue.remove(pending)  # given up on (timed out): never written after its 503

    async def aclose(self) -> None:
        """Release the writer's own connections (the engine is its owner's to dispose of)."""
        if self._sqlite_writer is not None:
            self._sqlite_writer.dispose()
        if self._pg_autocommit is not None:
            await self._pg_autocommit.dispose()

    async def _write_group(self) -> None:
        if self._sqlite_writer is not None:
            # The write will hold the loop: first let the requests finishing in this same turn of the loop
            # queue their events, so that one transaction (one sync to disk) commits them all.
            await asyncio.sleep(0)
        group = self._queue[:_MAX_GROUP]
        del self._queue[: len(group)]
        deadline = min(p.deadline for p in group)
        try:
            if self._sqlite_writer is not None:
                stored = await self._write_sqlite(self._sqlite_writer, group, deadline)
            else:
                async with asyncio.timeout_at(_loop_time(deadline)):
                    stored = await self._append_at_known_head(group) or await self._append_locked(group)
        except Exception as exc:
            self._known_head = None
            for pending in group:
                pending.error = exc
            raise
        except BaseException:  # cancelled: the others in the group must not see a cancellation as theirs
            self._known_head = None
            for pending in group:
                pending.error = AuditUnavailable("The audit write was interrupted.")
            raise
        for pending, event in zip(group, stored, strict=True):
            pending.stored = event
        if self._pg_autocommit is not None:
            self._known_head = (stored[-1].seq, stored[-1].hash)

    async def _append_locked(self, group: list[PendingEvent]) -> list[StoredEvent]:
        async with self.engine.begin() as conn:
            seq, prev_hash, _, _ = await lock_head(conn, len(group))
            return await insert_group(conn, seq - len(group) + 1, prev_hash, group)

    async def _append_at_known_head(self, group: list[PendingEvent]) -> list[StoredEvent] | None:
        """PostgreSQL, when this process knows where the head is: one statement, one round trip. None when
        the head has moved (another replica wrote): nothing was written."""
        if self._pg_autocommit is None or self._known_head is None:
            return None
        seq, head_hash = self._known_head
        stored, events, disclosures = chain_group(seq + 1, head_hash, group)
        parameters = {
            **pg_rows(events, disclosures),
            "expected_seq": seq,
            "expected_hash": head_hash,
            "new_seq": stored[-1].seq,
            "new_hash": stored[-1].hash,
        }
        async with self._pg_autocommit.connect() as conn:
            moved = await conn.scalar(_PG_APPEND_AT_KNOWN_HEAD, parameters)
        return stored if moved else None

    @classmethod
    async def _write_sqlite(
        cls, writer: Engine, group: list[PendingEvent], deadline: float
    ) -> list[StoredEvent]:
        """A SQLite file's group commit: first in the event loop itself, not waiting for SQLite's lock; if
        another writer holds it, in a worker thread that waits for it until the deadline.

        Why the loop first: the transaction is a millisecond or so of local work, and a worker thread
        needs the GIL back after each statement. Behind a busy event loop each of those waits lasted up to
        the interpreter's switch interval (5 ms), and a write took 10 to 30 ms under load instead of 2.
        In the loop the write costs the loop its I/O (the commit's sync), and never a wait for a lock.
        """
        try:
            return cls._write_sqlite_sync(writer, group, deadline, wait=False)
        except _Busy:
            # Not cancellable (a thread): it checks the deadline itself, and rolls back past it.
            return await asyncio.to_thread(cls._write_sqlite_sync, writer, group, deadline)

    @staticmethod
    def _write_sqlite_sync(
        writer: Engine, group: list[PendingEvent], deadline: float, wait: bool = True
    ) -> list[StoredEvent]:
        """The same transaction as the async path, on a synchronous connection (SQLite files). With `wait`
        it waits for SQLite's lock no longer than the deadline, and does not commit past it; without, it
        raises `_Busy` at once if another writer holds the lock."""
        try:
            with writer.begin() as conn:
                remaining_ms = int((deadline - time.monotonic()) * 1000)
                if remaining_ms <= 0:
                    raise TimeoutError
                conn.exec_driver_sql(f"PRAGMA busy_timeout={remaining_ms if wait else 0}")
                row = conn.execute(MOVE_HEAD, {"count": len(group)}).first()
                if row is None:
                    raise AuditUnavailable("The audit chain head is missing: `hub audit verify` says more.")
                stored, statements = chained(row.seq - len(group) + 1, row.hash, group)
                for statement, parameters in statements:
                    if isinstance(statement, str):
                        conn.exec_driver_sql(statement, parameters)
                    else:
                        conn.execute(statement, parameters)
                if time.monotonic() > deadline:
                    raise TimeoutError  # its request has given up: roll back rather than record a disclosure
        except OperationalError as exc:
            if not wait and getattr(exc.orig, "sqlite_errorcode", None) in _SQLITE_BUSY:
                raise _Busy from exc
            raise
        return stored
