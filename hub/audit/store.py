"""The audit store: appends events to the hash chain in the hub's database, and reads them back.

Appends from every hub process serialise on the one row of `audit_chain_head`: the first statement of the
transaction moves the head on (`UPDATE ... SET seq = seq + n`), which takes that row's lock on PostgreSQL
and the write lock on SQLite, so the chain stays one line however many replicas write. An event is
committed before `append` returns.

Within one process, appends commit in groups: while one transaction is writing, the events of requests that
finish meanwhile queue up, and the next transaction writes them all (a group commit). A lone request pays
for one short transaction; under load the lock on the head is taken once per group, not once per event, so
the chain's one-writer-at-a-time does not cap the hub's throughput.

Errors:

    AuditUnavailable   the trail cannot be written or read (database down, disk full, lock wait too
                       long): the caller must fail closed, never answer unaudited
    ValueError         a purge that the retention period forbids
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Select, and_, bindparam, func, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.expression import Executable

from hub.audit.chain import (
    VerifyResult,
    chain_hash,
    check_chain,
    document_hash,
    event_content,
)
from hub.audit.events import AuditEvent, Disclosure, StoredEvent
from hub.audit.tables import (
    HEAD_ID,
    audit_chain_head,
    audit_disclosure,
    audit_event,
    disclosure_rows,
    event_row,
    normalise_event,
    stored_event,
)
from hub.db import as_utc, create_schema, create_sqlite_writer_engine, sqlite_file_url

__all__ = [
    "MIN_RETENTION_DAYS",
    "AuditFilter",
    "AuditStore",
    "AuditUnavailable",
    "StoredEvent",
    "VerifyResult",
    "check_purge",
    "create_audit_schema",
]

#: The shortest retention a purge accepts, whatever the settings say.
MIN_RETENTION_DAYS = 365
_BATCH = 1000
#: At most this many events in one group commit.
_MAX_GROUP = 200
_TABLES = [audit_event, audit_disclosure, audit_chain_head]
_head = audit_chain_head.c
_ev = audit_event.c
_dis = audit_disclosure.c

# Built once: constant statements (values bound at execution) are compiled once and cached by SQLAlchemy.
_MOVE_HEAD = (
    update(audit_chain_head)
    .where(_head.id == HEAD_ID)
    .values(seq=_head.seq + bindparam("count", type_=BigInteger))
    .returning(_head.seq, _head.hash, _head.checkpoint_seq, _head.checkpoint_hash)
)
_SET_HEAD_HASH = update(audit_chain_head).where(_head.id == HEAD_ID).values(hash=bindparam("new_hash"))
_INSERT_EVENT = audit_event.insert()
# SQLite: the disclosures (tens per search) handed to the driver's executemany as tuples: SQLAlchemy's
# per-row parameter processing cost more than the insert itself. The columns of `disclosure_rows`.
_SQLITE_DISCLOSURE_COLUMNS = ("seq", "position", "partner", "kind", "record_id", "person_record_id")
_SQLITE_INSERT_DISCLOSURES = (
    f"INSERT INTO {audit_disclosure.name} ({', '.join(_SQLITE_DISCLOSURE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_SQLITE_DISCLOSURE_COLUMNS))})"
)
# PostgreSQL, when this process wrote the last event (it knows the head): the whole group in one statement,
# committed on its own (no BEGIN, no COMMIT: one round trip). The head moves only if it is still where this
# process left it, and the rows go in only if it moved; if another replica wrote meanwhile nothing changes,
# the count is 0, and the group goes the locking way below.
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
# PostgreSQL, with the head locked: the events, their disclosures and the head's new hash in one statement,
# the rows passed as JSON arrays and read back into the tables' own row types.
_PG_APPEND = text(
    f"""
    WITH events AS (
        INSERT INTO audit_event
        SELECT * FROM json_populate_recordset(NULL::audit_event, CAST(:events AS json))
    ), disclosures AS (
        INSERT INTO audit_disclosure
        SELECT * FROM json_populate_recordset(NULL::audit_disclosure, CAST(:disclosures AS json))
    )
    UPDATE audit_chain_head SET hash = :new_hash WHERE id = {HEAD_ID}
    """
)


class _Busy(Exception):
    """Another writer holds SQLite's write lock (raised only when not waiting for it)."""


#: SQLITE_BUSY and SQLITE_LOCKED: another connection holds the lock.
_SQLITE_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


class AuditUnavailable(Exception):
    """The audit trail could not be written or read: fail closed (AUDIT_UNAVAILABLE, HTTP 503)."""


@dataclass
class _Pending:
    """An event waiting for its group commit, prepared for the chain as far as it can be without its seq."""

    event: AuditEvent
    event_id: str
    document_hash: str | None
    #: When its request stops waiting (time.monotonic()): a group is never committed after its earliest.
    deadline: float = float("inf")
    stored: StoredEvent | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, event: AuditEvent, deadline: float = float("inf")) -> _Pending:
        event = normalise_event(event)
        return cls(event, str(uuid.uuid4()), document_hash(event.document), deadline)

    @property
    def settled(self) -> bool:
        return self.stored is not None or self.error is not None


@dataclass(frozen=True)
class AuditFilter:
    """Which events to read: every given condition must hold (`since` inclusive, `until` exclusive)."""

    since: datetime | None = None
    until: datetime | None = None
    client_id: str | None = None
    organisation: str | None = None
    purpose: str | None = None
    outcome: str | None = None
    exclude_client_id: str | None = None


def check_purge(before: datetime, retention_days: int, now: datetime | None = None) -> None:
    """Refuse a purge the retention period forbids.

    Raises:
        ValueError: `retention_days` is below `MIN_RETENTION_DAYS`, or `before` is within it.
    """
    if retention_days < MIN_RETENTION_DAYS:
        raise ValueError(
            f"Retention of {retention_days} days is below the floor of {MIN_RETENTION_DAYS} days; "
            f"set HUB_AUDIT_RETENTION_DAYS to {MIN_RETENTION_DAYS} or more."
        )
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    if as_utc(before) > cutoff:
        raise ValueError(
            f"Cannot purge events before {as_utc(before).isoformat()}: events are kept {retention_days} "
            f"days, so only events before {cutoff.isoformat(timespec='seconds')} may be purged."
        )


async def create_audit_schema(engine: AsyncEngine) -> None:
    """Bring the hub's database, the audit tables and the chain's head among it, to the latest revision
    (`hub.migrations`; idempotent, safe for replicas at once).

    Raises:
        AuditUnavailable: the database cannot be reached or changed.
    """
    try:
        await create_schema(engine)
    except Exception as exc:
        raise AuditUnavailable(f"Cannot create the audit tables: {_describe(exc)}") from exc


def _loop_time(monotonic: float) -> float:
    """A `time.monotonic()` moment on the running loop's clock (the same clock, unless a loop changed it)."""
    return asyncio.get_running_loop().time() + (monotonic - time.monotonic())


def _describe(exc: BaseException) -> str:
    # The first line only: SQLAlchemy appends the SQL and its parameters, which may hold audited data.
    text = str(exc).strip().split("\n", 1)[0] or type(exc).__name__
    return text[:300]


def _chain(
    first_seq: int, prev_hash: str, group: list[_Pending], disclosure_dicts: bool = True
) -> tuple[list[StoredEvent], list[dict[str, Any]], list[dict[str, Any]]]:
    """The events of `group` chained from `first_seq` after `prev_hash`, with their rows (the disclosure
    rows only if `disclosure_dicts`)."""
    stored: list[StoredEvent] = []
    events: list[dict[str, Any]] = []
    disclosures: list[dict[str, Any]] = []
    for seq, pending in enumerate(group, start=first_seq):
        event_id, doc_hash = pending.event_id, pending.document_hash
        digest = chain_hash(prev_hash, event_content(seq, event_id, pending.event, doc_hash))
        event = StoredEvent(seq, event_id, digest, prev_hash, pending.event, doc_hash)
        stored.append(event)
        events.append(event_row(event))
        if disclosure_dicts:
            disclosures.extend(disclosure_rows(event))
        prev_hash = digest
    return stored, events, disclosures


def _chained(
    first_seq: int, prev_hash: str, group: list[_Pending], dialect: str = "sqlite"
) -> tuple[list[StoredEvent], list[tuple[Executable | str, Any]]]:
    """The events of `group` chained from `first_seq` after `prev_hash`, and the statements that insert
    them and leave the head at the last one (on PostgreSQL one statement, so one round trip)."""
    postgresql = dialect == "postgresql"
    stored, events, disclosures = _chain(first_seq, prev_hash, group, disclosure_dicts=postgresql)
    prev_hash = stored[-1].hash
    if postgresql:
        return stored, [(_PG_APPEND, {**_pg_rows(events, disclosures), "new_hash": prev_hash})]
    statements: list[tuple[Executable | str, Any]] = [(_INSERT_EVENT, events)]
    rows = [
        (e.seq, i, d.partner, d.kind, d.record_id, d.person_record_id)
        for e in stored
        for i, d in enumerate(e.event.disclosed)
    ]
    if rows:
        statements.append((_SQLITE_INSERT_DISCLOSURES, rows))
    statements.append((_SET_HEAD_HASH, {"new_hash": prev_hash}))
    return stored, statements


def _pg_rows(events: list[dict[str, Any]], disclosures: list[dict[str, Any]]) -> dict[str, str]:
    return {"events": json.dumps(events, default=_iso), "disclosures": json.dumps(disclosures)}


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


class AuditStore:
    """The audit trail in the hub's database.

    Args:
        engine: The hub's database (`create_audit_schema` must have run on it).
        write_timeout: Seconds an append may take in all, waiting for other writers included.
    """

    def __init__(self, engine: AsyncEngine, write_timeout: float = 2.0, read_timeout: float = 10.0) -> None:
        self.engine = engine
        self.write_timeout = write_timeout
        self.read_timeout = read_timeout
        self._queue: list[_Pending] = []
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

    @asynccontextmanager
    async def _failing_closed(self, doing: str, seconds: float | None = None) -> AsyncIterator[None]:
        try:
            yield
        except AuditUnavailable:
            raise
        except TimeoutError as exc:
            within = self.write_timeout if seconds is None else seconds
            raise AuditUnavailable(f"Could not {doing} within {within:g} s.") from exc
        except Exception as exc:  # whatever the driver or the OS raised: the caller fails closed
            raise AuditUnavailable(f"Could not {doing}: {_describe(exc)}") from exc

    @asynccontextmanager
    async def _query(self) -> AsyncIterator[AsyncConnection]:
        """A connection for an auditor's query, given up on after `read_timeout` (then AuditUnavailable)."""
        async with (
            self._failing_closed("read the audit trail", self.read_timeout),
            asyncio.timeout(self.read_timeout),
            self.engine.connect() as conn,
        ):
            yield conn

    async def append(self, event: AuditEvent) -> StoredEvent:
        """Add an event to the end of the chain and commit it (with any others queued meanwhile).

        Raises:
            AuditUnavailable: it could not be committed within `write_timeout`, for any reason. Then it was
                not committed at all: a request that fails closed never leaves an event saying it disclosed.
        """
        pending = _Pending.of(event, time.monotonic() + self.write_timeout)
        self._queue.append(pending)
        try:
            async with self._failing_closed("write the audit event"):
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

    async def _append_locked(self, group: list[_Pending]) -> list[StoredEvent]:
        async with self.engine.begin() as conn:
            seq, prev_hash, _, _ = await self._lock_head(conn, len(group))
            return await self._insert(conn, seq - len(group) + 1, prev_hash, group)

    async def _append_at_known_head(self, group: list[_Pending]) -> list[StoredEvent] | None:
        """PostgreSQL, when this process knows where the head is: one statement, one round trip. None when
        the head has moved (another replica wrote): nothing was written."""
        if self._pg_autocommit is None or self._known_head is None:
            return None
        seq, head_hash = self._known_head
        stored, events, disclosures = _chain(seq + 1, head_hash, group)
        parameters = {
            **_pg_rows(events, disclosures),
            "expected_seq": seq,
            "expected_hash": head_hash,
            "new_seq": stored[-1].seq,
            "new_hash": stored[-1].hash,
        }
        async with self._pg_autocommit.connect() as conn:
            moved = await conn.scalar(_PG_APPEND_AT_KNOWN_HEAD, parameters)
        return stored if moved else None

    @classmethod
    async def _write_sqlite(cls, writer: Engine, group: list[_Pending], deadline: float) -> list[StoredEvent]:
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
        writer: Engine, group: list[_Pending], deadline: float, wait: bool = True
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
                row = conn.execute(_MOVE_HEAD, {"count": len(group)}).first()
                if row is None:
                    raise AuditUnavailable("The audit chain head is missing: `hub audit verify` says more.")
                stored, statements = _chained(row.seq - len(group) + 1, row.hash, group)
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

    async def aclose(self) -> None:
        """Release the store's own connections (the engine is its owner's to dispose of)."""
        if self._sqlite_writer is not None:
            self._sqlite_writer.dispose()
        if self._pg_autocommit is not None:
            await self._pg_autocommit.dispose()

    async def _lock_head(self, conn: AsyncConnection, count: int) -> tuple[int, str, int, str]:
        """Move the head on by `count` seqs; the new head seq, the hash it had, and the checkpoint.

        Moving the head first takes the lock every other writer waits on: the read after it is stable.
        """
        row = (await conn.execute(_MOVE_HEAD, {"count": count})).first()
        if row is None:
            raise AuditUnavailable("The audit chain head is missing: `hub audit verify` says more.")
        return row.seq, row.hash, row.checkpoint_seq, row.checkpoint_hash

    @staticmethod
    async def _insert(
        conn: AsyncConnection, first_seq: int, prev_hash: str, group: list[_Pending]
    ) -> list[StoredEvent]:
        """Chain and insert events from `first_seq` on, after `prev_hash`; leave the head at the last."""
        stored, statements = _chained(first_seq, prev_hash, group, conn.dialect.name)
        for statement, parameters in statements:
            if isinstance(statement, str):
                await conn.exec_driver_sql(statement, parameters)
            else:
                await conn.execute(statement, parameters)
        return stored

    async def _load(self, conn: AsyncConnection, query: Select[Any]) -> list[StoredEvent]:
        rows = (await conn.execute(query)).all()
        if not rows:
            return []
        disclosed: dict[int, list[Disclosure]] = {}
        found = await conn.execute(
            select(audit_disclosure)
            .where(_dis.seq.in_([row.seq for row in rows]))
            .order_by(_dis.seq, _dis.position)
        )
        for d in found:
            disclosed.setdefault(d.seq, []).append(
                Disclosure(d.partner, d.kind, d.record_id, d.person_record_id)
            )
        return [stored_event(row, disclosed.get(row.seq, ())) for row in rows]

    async def verify(self) -> VerifyResult:
        """Recompute every hash in seq order, and check the links, the seqs and the head.

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        async with self._failing_closed("read the audit trail"), self.engine.connect() as conn:
            head = (await conn.execute(select(audit_chain_head).where(_head.id == HEAD_ID))).first()
            if head is None:
                return VerifyResult(
                    False, 0, None, "the chain head is missing (audit_chain_head was emptied)"
                )
            final: list[Any] = []

            async def every_event() -> AsyncGenerator[StoredEvent, None]:
                last: int | None = None
                while True:
                    query = select(audit_event).order_by(_ev.seq).limit(_BATCH)
                    batch = await self._load(conn, query if last is None else query.where(_ev.seq > last))
                    if not batch:
                        # Events committed while we walked move the head on: read it, then look once more.
                        final.append((await conn.execute(select(audit_chain_head))).first())
                        batch = await self._load(conn, query if last is None else query.where(_ev.seq > last))
                        if not batch:
                            return
                    for stored in batch:
                        yield stored
                    last = batch[-1].seq

            async with aclosing(every_event()) as events:
                walk = await check_chain(events, head.checkpoint_seq, head.checkpoint_hash)
        if walk.first_broken_seq is None:
            end = final[-1]
            walk.check_head(end.seq, end.hash, end.checkpoint_seq)
        ok = walk.first_broken_seq is None
        return VerifyResult(ok, walk.checked, walk.first_broken_seq, walk.reason)

    @staticmethod
    def _where(filter: AuditFilter) -> list[Any]:
        conditions: list[Any] = []
        if filter.since is not None:
            conditions.append(_ev.occurred_at >= as_utc(filter.since))
        if filter.until is not None:
            conditions.append(_ev.occurred_at < as_utc(filter.until))
        for column, value in (
            (_ev.client_id, filter.client_id),
            (_ev.organisation, filter.organisation),
            (_ev.purpose, filter.purpose),
            (_ev.outcome, filter.outcome),
        ):
            if value is not None:
                conditions.append(column == value)
        if filter.exclude_client_id is not None:
            conditions.append(or_(_ev.client_id.is_(None), _ev.client_id != filter.exclude_client_id))
        return conditions

    async def events(
        self, filter: AuditFilter, first: int = 50, after_seq: int | None = None
    ) -> list[StoredEvent]:
        """Events matching `filter` after the cursor `after_seq`, ascending by seq; at most `first` (<= 1000).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        query = select(audit_event).where(*self._where(filter))
        if after_seq is not None:
            query = query.where(_ev.seq > after_seq)
        query = query.order_by(_ev.seq).limit(max(0, min(first, _BATCH)))
        async with self._query() as conn:
            return await self._load(conn, query)

    async def access_log(
        self,
        sources: Iterable[tuple[str, str]],
        first: int = 50,
        after_seq: int | None = None,
        exclude_client_id: str | None = None,
    ) -> list[StoredEvent]:
        """Events that disclosed any record of any of these people: who looked at them (ascending seq).

        Args:
            sources: (partner, person record id) pairs: one person's records across the partners.
            first: At most this many events (<= 1000).
            after_seq: The cursor: only events after this seq.
            exclude_client_id: Leave out this client's events (the auditor's own look-ups).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        pairs = sorted(set(sources))
        if not pairs:
            return []
        who = or_(*(and_(_dis.partner == p, _dis.person_record_id == r) for p, r in pairs))
        query = select(audit_event).where(
            _ev.seq.in_(select(_dis.seq).where(who)),
            *self._where(AuditFilter(exclude_client_id=exclude_client_id)),
        )
        if after_seq is not None:
            query = query.where(_ev.seq > after_seq)
        query = query.order_by(_ev.seq).limit(max(0, min(first, _BATCH)))
        async with self._query() as conn:
            return await self._load(conn, query)

    async def export(self, since: datetime | None, until: datetime | None) -> AsyncIterator[StoredEvent]:
        """Every event in [since, until), ascending by seq, read in batches (never all at once).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        filter, after = AuditFilter(since=since, until=until), None
        while batch := await self.events(filter, first=_BATCH, after_seq=after):
            for stored in batch:
                yield stored
            after = batch[-1].seq

    async def count(self, filter: AuditFilter) -> int:
        """How many events match `filter`.

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        async with self._query() as conn:
            return int(
                await conn.scalar(select(func.count()).select_from(audit_event).where(*self._where(filter)))
                or 0
            )

    async def purge(self, before: datetime, retention_days: int, actor: str | None = None) -> int:
        """Delete the events older than `before`, keeping the rest verifiable, and record the purge.

        Only a prefix of the chain is deleted (up to the first event at or after `before`), the head keeps
        the seq and hash the rest continues from, and a "purge" event saying what went is appended in the
        same transaction.

        Args:
            before: Delete events that occurred before this moment.
            retention_days: How long events must be kept (at least `MIN_RETENTION_DAYS`).
            actor: Who purged (recorded as the purge event's subject).

        Returns:
            How many events were deleted.

        Raises:
            ValueError: the retention period forbids it (the message says what is allowed).
            AuditUnavailable: the trail cannot be changed.
        """
        check_purge(before, retention_days)
        before, now = as_utc(before), datetime.now(UTC)
        async with self._failing_closed("purge the audit trail"), self.engine.begin() as conn:
            seq, prev_hash, checkpoint, _ = await self._lock_head(conn, 1)
            first_kept = await conn.scalar(select(func.min(_ev.seq)).where(_ev.occurred_at >= before))
            to_seq = max(checkpoint, (first_kept if first_kept is not None else seq) - 1)
            gone = _ev.seq <= to_seq
            count, oldest, newest = (
                await conn.execute(
                    select(func.count(), func.min(_ev.occurred_at), func.max(_ev.occurred_at)).where(gone)
                )
            ).one()
            if to_seq > checkpoint:
                checkpoint_hash = await conn.scalar(select(_ev.hash).where(_ev.seq == to_seq))
                if checkpoint_hash is None:
                    raise AuditUnavailable(
                        f"Event {to_seq} is missing: run `hub audit verify` before purging."
                    )
                await conn.execute(audit_disclosure.delete().where(_dis.seq <= to_seq))
                await conn.execute(audit_event.delete().where(gone))
                await conn.execute(
                    update(audit_chain_head)
                    .where(_head.id == HEAD_ID)
                    .values(checkpoint_seq=to_seq, checkpoint_hash=checkpoint_hash)
                )
            record = {
                "purged": count,
                "from_seq": checkpoint + 1 if count else None,
                "to_seq": to_seq,
                "oldest": as_utc(oldest).isoformat() if oldest is not None else None,
                "newest": as_utc(newest).isoformat() if newest is not None else None,
                "before": before.isoformat(),
                "retention_days": retention_days,
            }
            purge_event = AuditEvent(
                occurred_at=now, request_id=f"purge-{uuid.uuid4()}", client_id=None, subject=actor,
                organisation=None, organisation_type=None, scopes=(), purpose=None, justification=None,
                operation_name=None, document=None, variables=record, denied_fields=(), disclosed=(),
                failed_partners=(), outcome="purge", http_status=0, latency_ms=0.0,
            )  # fmt: skip
            await self._insert(conn, seq, prev_hash, [_Pending.of(purge_event)])
        return int(count)
