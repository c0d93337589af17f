"""The audit store: events are committed in one linear chain, read back exactly, filtered and paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import hub.audit.queries as queries_module
from hub.audit.chain import GENESIS_HASH, document_hash
from hub.audit.events import Disclosure
from hub.audit.store import AuditFilter, AuditStore, create_audit_schema
from hub.audit.tables import normalise_event
from tests.hub.audit.conftest import make_event


async def test_each_event_links_to_the_one_before_from_the_genesis_hash(store: AuditStore) -> None:
    first = await store.append(make_event(1))
    second = await store.append(make_event(2))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH and second.prev_hash == first.hash
    assert first.document_hash == document_hash(make_event().document)
    assert (await store.verify()).ok


async def test_an_event_reads_back_exactly_as_it_was_hashed(store: AuditStore) -> None:
    odd = make_event(
        occurred_at=datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
        document="query { \x00 naïve ☃ \ud800 }",
        variables={"nested": {"list": [1, 2.5, None, "é"]}, "when": datetime(2026, 1, 1, tzinfo=UTC)},
        latency_ms=0.1 + 0.2,
        subject=None,
        scopes=(),
    )
    written = await store.append(odd)
    [read] = await store.events(AuditFilter())
    assert read == written
    assert read.event == normalise_event(odd)
    assert read.event.occurred_at == odd.occurred_at and read.event.occurred_at.tzinfo == UTC
    assert read.event.latency_ms == 0.3
    assert read.event.variables["when"] == "2026-01-01 00:00:00+00:00"
    assert (await store.verify()).ok


async def test_variables_that_are_not_an_object_are_kept_not_refused(store: AuditStore) -> None:
    stored = await store.append(make_event(variables=["not", "an", "object"]))  # type: ignore[arg-type]
    assert stored.event.variables == {"unparsed": ["not", "an", "object"]}
    assert (await store.verify()).ok


async def test_events_are_filtered_and_paged_by_seq(store: AuditStore) -> None:
    for n in range(1, 11):
        await store.append(make_event(n, client_id="auditor" if n % 2 else "investigator"))
    page = await store.events(AuditFilter(client_id="investigator"), first=3)
    assert [s.seq for s in page] == [2, 4, 6]
    page = await store.events(AuditFilter(client_id="investigator"), first=3, after_seq=page[-1].seq)
    assert [s.seq for s in page] == [8, 10]
    start = make_event(3).occurred_at
    window = AuditFilter(since=start, until=start + timedelta(seconds=3), exclude_client_id="auditor")
    assert [s.seq for s in await store.events(window)] == [4]
    assert await store.count(AuditFilter(outcome="ok", purpose="investigation")) == 10
    assert await store.count(AuditFilter(organisation="Eastvale Police")) == 0


async def test_access_log_finds_everyone_who_disclosed_a_persons_records(store: AuditStore) -> None:
    await store.append(make_event(1))  # discloses northshire P1
    await store.append(make_event(2, disclosed=(Disclosure("eastvale", "custody", "C9", "E1"),)))
    await store.append(make_event(3, client_id="auditor", outcome="audit-read"))  # P3 only
    await store.append(
        make_event(4, client_id="csc-team", disclosed=(Disclosure("eastvale", "person", "E1", "E1"),))
    )
    await store.append(
        make_event(5, client_id="auditor", disclosed=(Disclosure("eastvale", "person", "E1", "E1"),))
    )

    person = [("northshire", "P1"), ("eastvale", "E1")]
    assert [s.seq for s in await store.access_log(person)] == [1, 2, 4, 5]
    assert [s.seq for s in await store.access_log(person, exclude_client_id="auditor")] == [1, 2, 4]
    assert [s.seq for s in await store.access_log(person, first=2, after_seq=1)] == [2, 4]
    assert await store.access_log([]) == []


async def test_export_streams_every_event_in_batches(
    store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries_module, "BATCH", 3)
    for n in range(1, 9):
        await store.append(make_event(n))
    seen = [s.seq async for s in store.export(None, None)]
    assert seen == list(range(1, 9))
    since = make_event(2).occurred_at
    assert [s.seq async for s in store.export(since, since + timedelta(seconds=3))] == [2, 3, 4]


async def test_creating_the_schema_twice_keeps_the_chain(engine: AsyncEngine, store: AuditStore) -> None:
    await store.append(make_event(1))
    await create_audit_schema(engine)
    assert (await store.append(make_event(2))).seq == 2
    assert (await store.verify()).ok
