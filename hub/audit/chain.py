"""The hash chain: each event's hash covers the hash before it, so no event can change unnoticed.

    hash(n) = sha256(hash(n-1) + canonical JSON of event n)        hash(0) = 64 zeros

The canonical JSON has sorted keys and no whitespace, and covers every field of the event, its seq and
event id, its document hash and its disclosures: a value that went through the database must give the same
bytes, so the time is ISO 8601 in UTC to the microsecond and the latency integer microseconds.

`check_chain` walks stored events in seq order and names the first one that breaks the chain, and how.
It cannot see forged events appended at the end with a recomputed head: the hash is not keyed, so anchor
the head hash that `hub audit verify` prints somewhere the database's writers cannot reach.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from hub.audit.events import AuditEvent, StoredEvent

__all__ = [
    "GENESIS_HASH",
    "ChainWalk",
    "VerifyResult",
    "canonical_json",
    "chain_hash",
    "check_chain",
    "document_hash",
    "event_content",
    "latency_us",
]

#: The `prev_hash` of the first event ever appended.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class VerifyResult:
    """What `AuditStore.verify` found.

    Attributes:
        ok: Whether the whole chain is intact.
        checked: Events whose hashes were recomputed.
        first_broken_seq: The first event that breaks the chain (None when `ok`).
        reason: "ok", or what is wrong, naming the event ("event 17 was edited").
    """

    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str


def document_hash(document: str | None) -> str | None:
    """sha256 hex of a GraphQL document (UTF-8), None for none."""
    return None if document is None else hashlib.sha256(document.encode("utf-8")).hexdigest()


def latency_us(latency_ms: float) -> int:
    """A latency in whole microseconds: how it is stored and hashed."""
    return round(latency_ms * 1000)


def event_content(seq: int, event_id: str, event: AuditEvent, doc_hash: str | None) -> dict[str, Any]:
    """Everything the hash of an event covers, as JSON values."""
    return {
        "seq": seq,
        "event_id": event_id,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "request_id": event.request_id,
        "client_id": event.client_id,
        "subject": event.subject,
        "organisation": event.organisation,
        "organisation_type": event.organisation_type,
        "scopes": list(event.scopes),
        "purpose": event.purpose,
        "justification": event.justification,
        "operation_name": event.operation_name,
        "document": event.document,
        "document_hash": doc_hash,
        "variables": event.variables,
        "denied_fields": list(event.denied_fields),
        "disclosed": [[d.partner, d.kind, d.record_id, d.person_record_id] for d in event.disclosed],
        "failed_partners": list(event.failed_partners),
        "outcome": event.outcome,
        "http_status": event.http_status,
        "latency_us": latency_us(event.latency_ms),
        # Covered where there is one; events from before traces (none) hash as they always did.
        **({"trace_id": event.trace_id} if event.trace_id is not None else {}),
    }


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace and ASCII only (escapes): one text for one value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def chain_hash(prev_hash: str, content: dict[str, Any]) -> str:
    """The hash of an event: sha256 hex of the hash before it and its canonical JSON."""
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


def _stored_hash(stored: StoredEvent) -> str:
    content = event_content(stored.seq, stored.event_id, stored.event, stored.document_hash)
    return chain_hash(stored.prev_hash, content)


@dataclass
class ChainWalk:
    """Where a walk of the chain got to: the last intact event, or the first broken one."""

    last_seq: int
    last_hash: str
    checked: int = 0
    first_broken_seq: int | None = None
    reason: str = "ok"
    #: The `to_seq` of every purge event seen: the checkpoint must be one of them.
    purged_to: set[int] = field(default_factory=set)

    def broken(self, seq: int, reason: str) -> ChainWalk:
        """Record the first break (and return the walk, to end it)."""
        self.first_broken_seq, self.reason = seq, reason
        return self

    def check_head(self, head_seq: int, head_hash: str, checkpoint_seq: int) -> None:
        """After a walk without breaks: does the chain end where the head says, and start after a purge?"""
        last = self.last_seq
        if last < head_seq:
            self.broken(
                last + 1,
                f"the chain ends at {last} but the head says {head_seq} (events deleted from the end)",
            )
        elif last > head_seq:
            self.broken(head_seq + 1, f"events after {head_seq} are beyond the head: added outside the hub")
        elif self.last_hash != head_hash:
            self.broken(head_seq, f"event {head_seq} does not match the head's hash (it was replaced)")
        elif checkpoint_seq > 0 and checkpoint_seq not in self.purged_to:
            self.broken(
                checkpoint_seq + 1,
                f"the chain starts after {checkpoint_seq}, but no purge event records purging that far",
            )


async def check_chain(events: AsyncIterator[StoredEvent], start_seq: int, start_hash: str) -> ChainWalk:
    """Walk events in seq order from the checkpoint, recomputing every hash; stop at the first break.

    Args:
        events: Every stored event, in ascending seq.
        start_seq: The purge checkpoint: the chain continues at `start_seq + 1`.
        start_hash: The hash the event after the checkpoint must link to.
    """
    walk = ChainWalk(last_seq=start_seq, last_hash=start_hash)
    before_last: str | None = None
    current = await anext(events, None)
    while current is not None:
        # One event of look-ahead tells two swapped events from an edit.
        following = await anext(events, None)
        seq, expected = current.seq, walk.last_seq + 1
        if seq <= start_seq:
            return walk.broken(seq, f"event {seq} precedes the purge checkpoint ({start_seq}): it was added")
        if seq > expected:
            missing = f"event {expected} is" if seq == expected + 1 else f"events {expected}-{seq - 1} are"
            return walk.broken(expected, f"{missing} missing")
        intact = _stored_hash(current) == current.hash
        if current.prev_hash != walk.last_hash:
            if (
                following is not None
                and following.seq == seq + 1
                and following.prev_hash == walk.last_hash
                and current.prev_hash == following.hash
            ):
                return walk.broken(seq, f"events {seq} and {seq + 1} are out of order")
            if before_last is not None and current.prev_hash == before_last:
                return walk.broken(seq - 1, f"an event was inserted at {seq - 1}, before {seq}")
            if seq == start_seq + 1 and start_seq > 0:
                return walk.broken(seq, f"event {seq} does not continue from the purge checkpoint")
            if intact and seq > 1:
                return walk.broken(seq - 1, f"event {seq - 1} was edited (and its hash recomputed)")
            return walk.broken(seq, f"event {seq} was edited (it does not link to event {seq - 1})")
        if not intact:
            return walk.broken(seq, f"event {seq} was edited")
        if current.event.outcome == "purge":
            to_seq = (
                current.event.variables.get("to_seq") if isinstance(current.event.variables, dict) else None
            )
            if isinstance(to_seq, int):
                walk.purged_to.add(to_seq)
        walk.checked += 1
        before_last, walk.last_seq, walk.last_hash = walk.last_hash, seq, current.hash
        current = following
    return walk
