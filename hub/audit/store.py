"""The audit store: appends events to the hash chain in the hub's database, and reads them back.

`AuditStore` is the one way the rest of the hub reaches the trail; it holds no logic of its own, but hands
each call to the module that holds that concept:

    hub.audit.writer       the group commit: appends queue while a transaction writes, and the next
                           commits them together; SQLite's and PostgreSQL's own ways of committing a group
    hub.audit.inserts      what every write shares: the head row every append serialises on, and the
                           statements that insert a chained group
    hub.audit.queries      the auditors' queries: events by filter, who looked at a person, export, counts
    hub.audit.maintenance  verifying the chain, and purging a prefix of it down to a checkpoint
    hub.audit.errors       `AuditUnavailable`, and failing closed on whatever a database raised

Appends from every hub process serialise on the one row of `audit_chain_head`, so the chain stays one line
however many replicas write; within one process they commit in groups. An event is committed before
`append` returns.

Errors:

    AuditUnavailable   the trail cannot be written or read (database down, disk full, lock wait too
                       long): the caller must fail closed, never answer unaudited
    ValueError         a purge that the retention period forbids
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit import maintenance
from hub.audit.chain import VerifyResult
from hub.audit.errors import AuditUnavailable, describe
from hub.audit.events import AuditEvent, StoredEvent
from hub.audit.maintenance import MIN_RETENTION_DAYS, check_purge
from hub.audit.queries import AuditFilter, AuditReader
from hub.audit.writer import GroupWriter
from hub.db import migrate_database

__all__ = [
    "MIN_RETENTION_DAYS",
    "AuditFilter",
    "AuditStore",
    "AuditUnavailable",
    "StoredEvent",
    "VerifyResult",
    "append_once",
    "check_purge",
    "create_audit_schema",
]


async def create_audit_schema(engine: AsyncEngine) -> None:
    """Bring the hub's database, the audit tables and the chain's head among it, to the latest revision
    (`hub.migrations`; idempotent, safe for replicas at once).

    Raises:
        AuditUnavailable: the database cannot be reached or changed.
    """
    try:
        await migrate_database(engine)
    except Exception as exc:
        raise AuditUnavailable(f"Cannot create the audit tables: {describe(exc)}") from exc


async def append_once(engine: AsyncEngine, event: AuditEvent, write_timeout: float) -> StoredEvent:
    """One event from a short-lived caller (an operator's command): a store opened for it and closed after.
    The command shows its effect only once this has returned.

    Raises:
        AuditUnavailable: as `AuditStore.append`.
    """
    store = AuditStore(engine, write_timeout=write_timeout)
    try:
        return await store.append(event)
    finally:
        await store.aclose()


class AuditStore:
    """The audit trail in the hub's database.

    Args:
        engine: The hub's database (`create_audit_schema` must have run on it).
        write_timeout: Seconds an append may take in all, waiting for other writers included.
        read_timeout: Seconds an auditor's query may take.
    """

    def __init__(self, engine: AsyncEngine, write_timeout: float = 2.0, read_timeout: float = 10.0) -> None:
        self.engine = engine
        self._writer = GroupWriter(engine, write_timeout)
        self._reader = AuditReader(engine, read_timeout)

    @property
    def write_timeout(self) -> float:
        return self._writer.write_timeout

    @property
    def read_timeout(self) -> float:
        return self._reader.read_timeout

    async def append(self, event: AuditEvent) -> StoredEvent:
        """Add an event to the end of the chain and commit it (with any others queued meanwhile).

        Raises:
            AuditUnavailable: it could not be committed within `write_timeout`, for any reason. Then it was
                not committed at all: a request that fails closed never leaves an event saying it disclosed.
        """
        return await self._writer.append(event)

    async def aclose(self) -> None:
        """Release the store's own connections (the engine is its owner's to dispose of)."""
        await self._writer.aclose()

    async def verify(self) -> VerifyResult:
        """Recompute every hash in seq order, and check the links, the seqs and the head.

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        return await maintenance.verify(self.engine, self.write_timeout)

    async def events(
        self, filter: AuditFilter, first: int = 50, after_seq: int | None = None
    ) -> list[StoredEvent]:
        """Events matching `filter` after the cursor `after_seq`, ascending by seq; at most `first` (<= 1000).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        return await self._reader.events(filter, first, after_seq)

    async def access_log(
        self,
        sources: Iterable[tuple[str, str]],
        first: int = 50,
        after_seq: int | None = None,
        exclude_client_id: str | None = None,
    ) -> list[StoredEvent]:
        """Who looked at these people: `hub.audit.queries.AuditReader.access_log`."""
        return await self._reader.access_log(sources, first, after_seq, exclude_client_id)

    def export(self, since: datetime | None, until: datetime | None) -> AsyncIterator[StoredEvent]:
        """Every event in [since, until), ascending by seq, read in batches (never all at once).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        return self._reader.export(since, until)

    async def count(self, filter: AuditFilter) -> int:
        """How many events match `filter`.

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        return await self._reader.count(filter)

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
        return await maintenance.purge(self.engine, self.write_timeout, before, retention_days, actor)
