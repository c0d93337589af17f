"""The audit trail's tables, in the hub's own database (`hub.db.metadata`).

    audit_event        one row per event; `seq` is its place in the hash chain
    audit_disclosure   one row per record an event disclosed, indexed by (partner, person_record_id), so
                       "who looked at this person" is an index lookup, not a scan of every event
    audit_chain_head   one row: the last seq and hash (appends serialise on it), and the purge checkpoint
                       (the seq and hash the remaining chain continues from)

Free text is `Text`, never `String(n)`: an over-long value must not make an audit write fail. The
functions below map an event to its row and back, losslessly, so that the hash verify recomputes from the
row is the one the append computed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from hub.audit.chain import latency_us
from hub.audit.events import AuditEvent, Disclosure, StoredEvent
from hub.db import as_utc, metadata

__all__ = [
    "HEAD_ID",
    "audit_chain_head",
    "audit_disclosure",
    "audit_event",
    "disclosure_rows",
    "event_row",
    "normalise_event",
    "stored_event",
]

#: The id of the one row of `audit_chain_head`.
HEAD_ID = 1

audit_event = Table(
    "audit_event",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False, index=True),
    Column("request_id", Text, nullable=False),
    Column("client_id", Text, nullable=True, index=True),
    Column("subject", Text, nullable=True),
    Column("organisation", Text, nullable=True),
    Column("organisation_type", Text, nullable=True),
    # JSON arrays and objects, as hashed (hub.audit.chain).
    Column("scopes", Text, nullable=False),
    Column("purpose", Text, nullable=True),
    Column("justification", Text, nullable=True),
    Column("operation_name", Text, nullable=True),
    Column("document", Text, nullable=True),
    Column("document_hash", String(64), nullable=True),
    Column("variables", Text, nullable=False),
    Column("denied_fields", Text, nullable=False),
    Column("failed_partners", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("http_status", Integer, nullable=False),
    # Microseconds, an integer: a float would not come back from every database bit for bit.
    Column("latency_us", BigInteger, nullable=False),
    Column("trace_id", String(32), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_disclosure = Table(
    "audit_disclosure",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    # Order within the event, which the hash covers.
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("partner", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("record_id", Text, nullable=False),
    Column("person_record_id", Text, nullable=False),
    Index("ix_audit_disclosure_person", "partner", "person_record_id"),
)

audit_chain_head = Table(
    "audit_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("checkpoint_seq", BigInteger, nullable=False),
    Column("checkpoint_hash", String(64), nullable=False),
)


def _clean(text: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded: neither may fail a write.
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text if text.isascii() else text.encode("utf-8", "replace").decode("utf-8")


def _clean_disclosure(d: Disclosure) -> Disclosure:
    joined = d.partner + d.kind + d.record_id + d.person_record_id
    if joined.isascii() and "\x00" not in joined:  # the usual case, and hundreds in a 50-person answer
        return d
    return Disclosure(_clean(d.partner), _clean(d.kind), _clean(d.record_id), _clean(d.person_record_id))


def _opt(text: str | None) -> str | None:
    return None if text is None else _clean(text)


def _json_variables(variables: Any) -> dict[str, Any]:
    value = json.loads(json.dumps(variables, default=str))
    # Variables that are not an object (a malformed request) are kept, under a key, not refused.
    return value if isinstance(value, dict) else {"unparsed": value}


def normalise_event(event: AuditEvent) -> AuditEvent:
    """The event as it will read back from the database: UTC, JSON variables, whole microseconds, no NUL."""
    return dataclasses.replace(
        event,
        occurred_at=as_utc(event.occurred_at),
        request_id=_clean(event.request_id),
        client_id=_opt(event.client_id),
        subject=_opt(event.subject),
        organisation=_opt(event.organisation),
        organisation_type=_opt(event.organisation_type),
        scopes=tuple(_clean(s) for s in event.scopes),
        purpose=_opt(event.purpose),
        justification=_opt(event.justification),
        operation_name=_opt(event.operation_name),
        document=_opt(event.document),
        variables=_json_variables(event.variables),
        denied_fields=tuple(_clean(f) for f in event.denied_fields),
        disclosed=tuple(_clean_disclosure(d) for d in event.disclosed),
        failed_partners=tuple(_clean(p) for p in event.failed_partners),
        outcome=_clean(event.outcome),
        latency_ms=latency_us(event.latency_ms) / 1000,
        trace_id=_opt(event.trace_id),
    )


def event_row(stored: StoredEvent) -> dict[str, Any]:
    """The `audit_event` row of a (normalised) stored event."""
    event = stored.event
    return {
        "seq": stored.seq,
        "event_id": stored.event_id,
        "occurred_at": event.occurred_at,
        "request_id": event.request_id,
        "client_id": event.client_id,
        "subject": event.subject,
        "organisation": event.organisation,
        "organisation_type": event.organisation_type,
        "scopes": json.dumps(list(event.scopes)),
        "purpose": event.purpose,
        "justification": event.justification,
        "operation_name": event.operation_name,
        "document": event.document,
        "document_hash": stored.document_hash,
        "variables": json.dumps(event.variables),
        "denied_fields": json.dumps(list(event.denied_fields)),
        "failed_partners": json.dumps(list(event.failed_partners)),
        "outcome": event.outcome,
        "http_status": event.http_status,
        "latency_us": latency_us(event.latency_ms),
        "trace_id": event.trace_id,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


def disclosure_rows(stored: StoredEvent) -> list[dict[str, Any]]:
    """The `audit_disclosure` rows of a stored event, in order."""
    seq = stored.seq
    return [
        {
            "seq": seq,
            "position": i,
            "partner": d.partner,
            "kind": d.kind,
            "record_id": d.record_id,
            "person_record_id": d.person_record_id,
        }
        for i, d in enumerate(stored.event.disclosed)
    ]


def stored_event(row: Any, disclosed: Sequence[Disclosure]) -> StoredEvent:
    """A stored event from its `audit_event` row and its disclosures."""
    event = AuditEvent(
        occurred_at=as_utc(row.occurred_at),
        request_id=row.request_id,
        client_id=row.client_id,
        subject=row.subject,
        organisation=row.organisation,
        organisation_type=row.organisation_type,
        scopes=tuple(json.loads(row.scopes)),
        purpose=row.purpose,
        justification=row.justification,
        operation_name=row.operation_name,
        document=row.document,
        variables=json.loads(row.variables),
        denied_fields=tuple(json.loads(row.denied_fields)),
        disclosed=tuple(disclosed),
        failed_partners=tuple(json.loads(row.failed_partners)),
        outcome=row.outcome,
        http_status=row.http_status,
        latency_ms=row.latency_us / 1000,
        trace_id=row.trace_id,
    )
    return StoredEvent(row.seq, row.event_id, row.hash, row.prev_hash, event, row.document_hash)
