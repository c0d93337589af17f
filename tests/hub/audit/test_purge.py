"""Purging past the retention period deletes the oldest events, keeps the chain verifiable, and is itself
recorded in it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.audit.store import AuditFilter, AuditStore, check_purge
from tests.hub.audit.conftest import make_event, sql

NOW = datetime.now(UTC)


def test_a_purge_inside_the_retention_period_is_refused_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="events are kept 2190 days, so only events before"):
        check_purge(NOW - timedelta(days=30), 2190)


def test_a_retention_below_the_floor_of_a_year_is_refused() -> None:
    with pytest.raises(ValueError, match="below the floor of 365 days"):
        check_purge(NOW - timedelta(days=4000), 364)


async def test_purge_refuses_before_touching_anything(store: AuditStore) -> None:
    await store.append(make_event(1, occurred_at=NOW - timedelta(days=800)))
    with pytest.raises(ValueError):
        await store.purge(NOW - timedelta(days=100), 365)
    assert await store.count(AuditFilter()) == 1


async def test_purge_deletes_old_events_and_the_rest_still_verifies(store: AuditStore) -> None:
    for n in range(1, 6):
        await store.append(make_event(n, occurred_at=NOW - timedelta(days=900 - n)))
    for n in range(6, 9):
        await store.append(make_event(n, occurred_at=NOW - timedelta(days=10)))
    before = NOW - timedelta(days=400)

    assert await store.purge(before, 365, actor="dpo") == 5

    remaining = await store.events(AuditFilter())
    assert [s.seq for s in remaining] == [6, 7, 8, 9]
    purge = remaining[-1].event
    assert (purge.outcome, purge.subject) == ("purge", "dpo")
    assert purge.variables["purged"] == 5
    assert (purge.variables["from_seq"], purge.variables["to_seq"]) == (1, 5)
    assert purge.variables["before"] == before.isoformat()
    assert purge.variables["oldest"] == (NOW - timedelta(days=899)).isoformat()
    assert await store.access_log([("northshire", "P1")]) == []
    result = await store.verify()
    assert (result.ok, result.checked) == (True, 4)

    await store.append(make_event(10))
    assert (await store.verify()).ok


async def test_purge_deletes_only_a_prefix_so_the_chain_stays_whole(store: AuditStore) -> None:
    # Event 2 is older than `before` but follows a newer event: it stays, with the newer one.
    await store.append(make_event(1, occurred_at=NOW - timedelta(days=900)))
    await store.append(make_event(2, occurred_at=NOW - timedelta(days=10)))
    await store.append(make_event(3, occurred_at=NOW - timedelta(days=800)))
    assert await store.purge(NOW - timedelta(days=400), 365) == 1
    assert [s.seq for s in await store.events(AuditFilter())] == [2, 3, 4]
    assert (await store.verify()).ok


async def test_a_purge_with_nothing_to_delete_is_still_recorded(store: AuditStore) -> None:
    await store.append(make_event(1, occurred_at=NOW))
    assert await store.purge(NOW - timedelta(days=400), 365) == 0
    events = await store.events(AuditFilter())
    assert [s.event.outcome for s in events] == ["ok", "purge"]
    assert (await store.verify()).ok


async def test_deleting_old_events_without_a_purge_is_caught(engine: AsyncEngine, store: AuditStore) -> None:
    for n in range(1, 6):
        await store.append(make_event(n))
    [third] = await store.events(AuditFilter(), first=1, after_seq=2)
    # Someone deletes the oldest events and moves the checkpoint by hand, as a purge would.
    await sql(
        engine,
        "DELETE FROM audit_disclosure WHERE seq <= 3",
        "DELETE FROM audit_event WHERE seq <= 3",
        f"UPDATE audit_chain_head SET checkpoint_seq = 3, checkpoint_hash = '{third.hash}'",
    )
    result = await store.verify()
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert "no purge event records purging that far" in result.reason
