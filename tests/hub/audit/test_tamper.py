"""`verify` catches every change made behind the store's back, and names the first event it breaks.

Each test changes a chain of 42 events directly in the database, with SQL, as anyone with write access to
it could, then asks `verify` what happened.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.chain import chain_hash, event_content
from hub.audit.events import StoredEvent
from hub.audit.store import AuditFilter, AuditStore
from hub.audit.tables import audit_disclosure, audit_event, disclosure_rows, event_row
from tests.hub.audit.conftest import make_event, sql

LENGTH = 42


@pytest.fixture
async def chain(store: AuditStore) -> AuditStore:
    for n in range(1, LENGTH + 1):
        await store.append(make_event(n))
    return store


async def event_at(store: AuditStore, seq: int) -> StoredEvent:
    [stored] = await store.events(AuditFilter(), first=1, after_seq=seq - 1)
    assert stored.seq == seq
    return stored


def forged(seq: int, prev_hash: str, **changes: object) -> StoredEvent:
    """An event made to fit at `seq`, hashed as the store would: whoever forges it knows the algorithm."""
    event = make_event(1000 + seq, **changes)  # type: ignore[arg-type]
    event_id = str(uuid.uuid4())
    digest = chain_hash(prev_hash, event_content(seq, event_id, event, None))
    return StoredEvent(seq, event_id, digest, prev_hash, event, None)


async def broken(store: AuditStore, seq: int | None, reason: str) -> None:
    result = await store.verify()
    assert (result.ok, result.first_broken_seq, result.reason) == (False, seq, reason)


async def test_an_untouched_chain_verifies(chain: AuditStore) -> None:
    result = await chain.verify()
    assert (result.ok, result.checked, result.first_broken_seq, result.reason) == (True, LENGTH, None, "ok")


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_event SET purpose = 'safeguarding' WHERE seq = 17",
        "UPDATE audit_event SET occurred_at = occurred_at - interval '1 day' WHERE seq = 17",
        "UPDATE audit_event SET latency_us = latency_us + 1 WHERE seq = 17",
        "UPDATE audit_event SET document = 'query { x }' WHERE seq = 17",
        "UPDATE audit_event SET client_id = NULL WHERE seq = 17",
        "UPDATE audit_disclosure SET record_id = 'P999' WHERE seq = 17 AND position = 1",
        "DELETE FROM audit_disclosure WHERE seq = 17 AND position = 0",
        "INSERT INTO audit_disclosure VALUES (17, 2, 'eastvale', 'custody', 'C1', 'E1')",
    ],
)
async def test_an_edited_event_or_disclosure_is_named(
    chain: AuditStore, engine: AsyncEngine, change: str
) -> None:
    if "interval" in change and engine.dialect.name == "sqlite":
        change = "UPDATE audit_event SET occurred_at = '2020-01-01 00:00:00.000000' WHERE seq = 17"
    await sql(engine, change)
    await broken(chain, 17, "event 17 was edited")


async def test_an_edit_with_its_hash_recomputed_is_still_caught(
    chain: AuditStore, engine: AsyncEngine
) -> None:
    original = await event_at(chain, 17)
    event = dataclasses.replace(original.event, purpose="safeguarding")
    digest = chain_hash(
        original.prev_hash, event_content(17, original.event_id, event, original.document_hash)
    )
    edited = dataclasses.replace(original, event=event, hash=digest)
    async with engine.begin() as conn:
        await conn.execute(update(audit_event).where(audit_event.c.seq == 17).values(**event_row(edited)))
    await broken(chain, 17, "event 17 was edited (and its hash recomputed)")


async def test_a_deleted_event_is_named(chain: AuditStore, engine: AsyncEngine) -> None:
    await sql(engine, "DELETE FROM audit_event WHERE seq = 18")
    await broken(chain, 18, "event 18 is missing")


async def test_deleted_events_in_a_row_are_named(chain: AuditStore, engine: AsyncEngine) -> None:
    await sql(engine, "DELETE FROM audit_event WHERE seq BETWEEN 18 AND 20")
    await broken(chain, 18, "events 18-20 are missing")


async def test_events_deleted_from_the_end_are_caught_by_the_head(
    chain: AuditStore, engine: AsyncEngine
) -> None:
    await sql(engine, "DELETE FROM audit_event WHERE seq > 40", "DELETE FROM audit_disclosure WHERE seq > 40")
    await broken(chain, 41, "the chain ends at 40 but the head says 42 (events deleted from the end)")


async def test_a_forged_event_inserted_into_the_chain_is_named(
    chain: AuditStore, engine: AsyncEngine
) -> None:
    # Make room at 20 (two steps: seq is unique at every row update), then insert a well-hashed forgery.
    for table in ("audit_event", "audit_disclosure"):
        await sql(
            engine,
            f"UPDATE {table} SET seq = -(seq + 1) WHERE seq >= 20",
            f"UPDATE {table} SET seq = -seq WHERE seq < 0",
        )
    await sql(engine, "UPDATE audit_chain_head SET seq = seq + 1")
    fake = forged(20, (await event_at(chain, 19)).hash)
    async with engine.begin() as conn:
        await conn.execute(audit_event.insert().values(**event_row(fake)))
        await conn.execute(audit_disclosure.insert(), disclosure_rows(fake))
    await broken(chain, 20, "an event was inserted at 20, before 21")


async def test_a_forged_event_added_after_the_head_is_caught(chain: AuditStore, engine: AsyncEngine) -> None:
    fake = forged(LENGTH + 1, (await event_at(chain, LENGTH)).hash)
    async with engine.begin() as conn:
        await conn.execute(audit_event.insert().values(**event_row(fake)))
        await conn.execute(audit_disclosure.insert(), disclosure_rows(fake))
    await broken(chain, LENGTH + 1, f"events after {LENGTH} are beyond the head: added outside the hub")


async def test_two_swapped_events_are_named(chain: AuditStore, engine: AsyncEngine) -> None:
    for table in ("audit_event", "audit_disclosure"):
        await sql(
            engine,
            f"UPDATE {table} SET seq = -5 WHERE seq = 5",
            f"UPDATE {table} SET seq = 5 WHERE seq = 6",
            f"UPDATE {table} SET seq = 6 WHERE seq = -5",
        )
    await broken(chain, 5, "events 5 and 6 are out of order")


async def test_a_replaced_last_event_is_caught_by_the_head(chain: AuditStore, engine: AsyncEngine) -> None:
    last = await event_at(chain, LENGTH)
    fake = forged(LENGTH, last.prev_hash)
    async with engine.begin() as conn:
        await conn.execute(update(audit_event).where(audit_event.c.seq == LENGTH).values(**event_row(fake)))
        await conn.execute(audit_disclosure.delete().where(audit_disclosure.c.seq == LENGTH))
        await conn.execute(audit_disclosure.insert(), disclosure_rows(fake))
    await broken(chain, LENGTH, f"event {LENGTH} does not match the head's hash (it was replaced)")


async def test_an_emptied_head_is_reported(chain: AuditStore, engine: AsyncEngine) -> None:
    await sql(engine, "DELETE FROM audit_chain_head")
    await broken(chain, None, "the chain head is missing (audit_chain_head was emptied)")
