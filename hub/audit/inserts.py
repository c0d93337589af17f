"""How a group of events goes onto the chain: chained from the head, and the statements that insert it.

Appends from every hub process serialise on the one row of `audit_chain_head`: the first statement of the
transaction moves the head on (`UPDATE ... SET seq = seq + n`, `lock_head`), which takes that row's lock on
PostgreSQL and the write lock on SQLite, so the chain stays one line however many replicas write. The read
after it is stable: the events are chained from there and inserted (`insert_group`), and the head is left
at the last one, in the same transaction.

This is what every write shares: the writer's group commit on either database (`hub.audit.writer`, which
also has a way of its own on each) and the purge's own event (`hub.audit.maintenance`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import Executable

from hub.audit.chain import chain_hash, document_hash, event_content
from hub.audit.errors import AuditUnavailable
from hub.audit.events import AuditEvent, StoredEvent
from hub.audit.tables import (
    HEAD_ID,
    audit_chain_head,
    audit_disclosure,
    audit_event,
    disclosure_rows,
    event_row,
    normalise_event,
)

__all__ = ["MOVE_HEAD", "PendingEvent", "chain_group", "chained", "insert_group", "lock_head", "pg_rows"]

_head = audit_chain_head.c

# Built once: constant statements (values bound at execution) are compiled once and cached by SQLAlchemy.
MOVE_HEAD = (
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


@dataclass
class PendingEvent:
    """An event waiting for its group commit, prepared for the chain as far as it can be without its seq."""

    event: AuditEvent
    event_id: str
    document_hash: str | None
    #: When its request stops waiting (time.monotonic()): a group is never committed after its earliest.
    deadline: float = float("inf")
    stored: StoredEvent | None = None
    error: BaseException | None = None

    @classmethod
    def of(cls, event: AuditEvent, deadline: float = float("inf")) -> PendingEvent:
        event = normalise_event(event)
        return cls(event, str(uuid.uuid4()), document_hash(event.document), deadline)

    @property
    def settled(self) -> bool:
        return self.stored is not None or self.error is not None


def chain_group(
    first_seq: int, prev_hash: str, group: list[PendingEvent], disclosure_dicts: bool = True
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


def chained(
    first_seq: int, prev_hash: str, group: list[PendingEvent], dialect: str = "sqlite"
) -> tuple[list[StoredEvent], list[tuple[Executable | str, Any]]]:
    """The events of `group` chained from `first_seq` after `prev_hash`, and the statements that insert
    them and leave the head at the last one (on PostgreSQL one statement, so one round trip)."""
    postgresql = dialect == "postgresql"
    stored, events, disclosures = chain_group(first_seq, prev_hash, group, disclosure_dicts=postgresql)
    prev_hash = stored[-1].hash
    if postgresql:
        return stored, [(_PG_APPEND, {**pg_rows(events, disclosures), "new_hash": prev_hash})]
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


def pg_rows(events: list[dict[str, Any]], disclosures: list[dict[str, Any]]) -> dict[str, str]:
    """PostgreSQL: the rows as the JSON arrays its append statements read into the tables' row types."""
    return {"events": json.dumps(events, default=_iso), "disclosures": json.dumps(disclosures)}


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


async def lock_head(conn: AsyncConnection, count: int) -> tuple[int, str, int, str]:
    """Move the head on by `count` seqs; the new head seq, the hash it had, and the checkpoint.

    Moving the head first takes the lock every other writer waits on: the read after it is stable.
    """
    row = (await conn.execute(MOVE_HEAD, {"count": count})).first()
    if row is None:
        raise AuditUnavailable("The audit chain head is missing: `hub audit verify` says more.")
    return row.seq, row.hash, row.checkpoint_seq, row.checkpoint_hash


async def insert_group(
    conn: AsyncConnection, first_seq: int, prev_hash: str, group: list[PendingEvent]
) -> list[StoredEvent]:
    """Chain and insert events from `first_seq` on, after `prev_hash`; leave the head at the last."""
    stored, statements = chained(first_seq, prev_hash, group, conn.dialect.name)
    for statement, parameters in statements:
        if isinstance(statement, str):
            await conn.exec_driver_sql(statement, parameters)
        else:
            await conn.execute(statement, parameters)
    return stored
