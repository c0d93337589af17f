"""Looking after the trail: verifying its hash chain, and purging what the retention period allows.

A purge deletes only a prefix of the chain, and leaves the head a checkpoint (the seq and hash the rest
continues from), so that what remains still verifies: `verify` starts its walk at the checkpoint. The purge
is itself recorded, as a "purge" event appended in the same transaction.

Errors:

    AuditUnavailable   the trail cannot be read or changed
    ValueError         a purge that the retention period forbids (`check_purge`)
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.chain import VerifyResult, check_chain
from hub.audit.errors import AuditUnavailable, failing_closed
from hub.audit.events import AuditEvent, StoredEvent
from hub.audit.inserts import PendingEvent, insert_group, lock_head
from hub.audit.queries import BATCH, load
from hub.audit.tables import HEAD_ID, audit_chain_head, audit_disclosure, audit_event
from hub.db import as_utc

__all__ = ["MIN_RETENTION_DAYS", "check_purge", "purge", "verify"]

#: The shortest retention a purge accepts, whatever the settings say.
MIN_RETENTION_DAYS = 365
_head = audit_chain_head.c
_ev = audit_event.c
_dis = audit_disclosure.c


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


async def verify(engine: AsyncEngine, write_timeout: float) -> VerifyResult:
    """Recompute every hash in seq order, and check the links, the seqs and the head (`AuditStore.verify`).

    Raises:
        AuditUnavailable: the trail cannot be read.
    """
    async with failing_closed("read the audit trail", write_timeout), engine.connect() as conn:
        head = (await conn.execute(select(audit_chain_head).where(_head.id == HEAD_ID))).first()
        if head is None:
            return VerifyResult(False, 0, None, "the chain head is missing (audit_chain_head was emptied)")
        final: list[Any] = []

        async def every_event() -> AsyncGenerator[StoredEvent, None]:
            last: int | None = None
            while True:
                query = select(audit_event).order_by(_ev.seq).limit(BATCH)
                batch = await load(conn, query if last is None else query.where(_ev.seq > last))
                if not batch:
                    # Events committed while we walked move the head on: read it, then look once more.
                    final.append((await conn.execute(select(audit_chain_head))).first())
                    batch = await load(conn, query if last is None else query.where(_ev.seq > last))
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


async def purge(
    engine: AsyncEngine, write_timeout: float, before: datetime, retention_days: int, actor: str | None
) -> int:
    """Delete the events older than `before`, keeping the rest verifiable, and record the purge
    (`AuditStore.purge` says more).

    Raises:
        ValueError: the retention period forbids it (the message says what is allowed).
        AuditUnavailable: the trail cannot be changed.
    """
    check_purge(before, retention_days)
    before, now = as_utc(before), datetime.now(UTC)
    async with failing_closed("purge the audit trail", write_timeout), engine.begin() as conn:
        seq, prev_hash, checkpoint, _ = await lock_head(conn, 1)
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
                raise AuditUnavailable(f"Event {to_seq} is missing: run `hub audit verify` before purging.")
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
        # Who purged: the operator named, or no one (the hub's own retention run).
        purged = AuditEvent.of_operator(None, "purge", record, request_id_prefix="purge", occurred_at=now)
        purge_event = dataclasses.replace(purged, subject=actor)
        await insert_group(conn, seq, prev_hash, [PendingEvent.of(purge_event)])
    return int(count)
