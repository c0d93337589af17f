"""Reading the audit trail back: the auditors' queries (events by filter, who looked at a person, export,
counts), and loading events with their disclosures from rows.

Every query runs on a connection of its own, given up on after the read timeout, and fails closed
(`AuditUnavailable`) like a write: an auditor is never shown a partial or stale answer as a whole one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.audit.errors import failing_closed
from hub.audit.events import Disclosure, StoredEvent
from hub.audit.tables import audit_disclosure, audit_event, stored_event
from hub.db import as_utc

__all__ = ["BATCH", "AuditFilter", "AuditReader", "load"]

#: At most this many events read at once: a page of `events`, a batch of `export` and of verify's walk.
BATCH = 1000
_ev = audit_event.c
_dis = audit_disclosure.c


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


async def load(conn: AsyncConnection, query: Select[Any]) -> list[StoredEvent]:
    """The events `query` selects from `audit_event`, each with its disclosures, in the query's order."""
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
        disclosed.setdefault(d.seq, []).append(Disclosure(d.partner, d.kind, d.record_id, d.person_record_id))
    return [stored_event(row, disclosed.get(row.seq, ())) for row in rows]


class AuditReader:
    """The auditors' queries on the trail in the hub's database.

    Args:
        engine: The hub's database.
        read_timeout: Seconds a query may take before it is given up on (then `AuditUnavailable`).
    """

    def __init__(self, engine: AsyncEngine, read_timeout: float) -> None:
        self.engine = engine
        self.read_timeout = read_timeout

    @asynccontextmanager
    async def _query(self) -> AsyncIterator[AsyncConnection]:
        """A connection for an auditor's query, given up on after `read_timeout` (then AuditUnavailable)."""
        async with (
            failing_closed("read the audit trail", self.read_timeout),
            asyncio.timeout(self.read_timeout),
            self.engine.connect() as conn,
        ):
            yield conn

    async def events(
        self, filter: AuditFilter, first: int = 50, after_seq: int | None = None
    ) -> list[StoredEvent]:
        """Events matching `filter` after the cursor `after_seq`, ascending by seq; at most `first` (<= 1000).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        query = select(audit_event).where(*_where(filter))
        if after_seq is not None:
            query = query.where(_ev.seq > after_seq)
        query = query.order_by(_ev.seq).limit(max(0, min(first, BATCH)))
        async with self._query() as conn:
            return await load(conn, query)

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
            *_where(AuditFilter(exclude_client_id=exclude_client_id)),
        )
        if after_seq is not None:
            query = query.where(_ev.seq > after_seq)
        query = query.order_by(_ev.seq).limit(max(0, min(first, BATCH)))
        async with self._query() as conn:
            return await load(conn, query)

    async def export(self, since: datetime | None, until: datetime | None) -> AsyncIterator[StoredEvent]:
        """Every event in [since, until), ascending by seq, read in batches (never all at once).

        Raises:
            AuditUnavailable: the trail cannot be read.
        """
        filter, after = AuditFilter(since=since, until=until), None
        while batch := await self.events(filter, first=BATCH, after_seq=after):
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
                await conn.scalar(select(func.count()).select_from(audit_event).where(*_where(filter))) or 0
            )
