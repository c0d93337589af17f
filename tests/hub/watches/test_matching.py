"""A watch follows its person into records it did not name: a new people record at a partner is matched to
the watch by entity resolution (the same PNC ID, or a close name and the same date of birth), the watcher is
told of it (kind PEOPLE), and what is recorded about it afterwards (the custody record of the arrest that made
it) fires the watch like the rest. Two PNC IDs are two people, whatever their names."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from connectors.canonical import Gender, PersonName, PersonRecord
from connectors.contract import Capability
from connectors.demo.store import DemoStore
from connectors.pnc import format_pnc_id
from hub.audit.errors import AuditUnavailable
from hub.auth.principal import Principal
from hub.config.settings import HubSettings
from hub.watches.broker import Notification
from hub.watches.matching import Match, MatchedBy, Matcher, keys_of
from hub.watches.store import LeaseLost, SourceKeys
from hub.watches.tables import partner_cursor, watch_source
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs, private_pg_database

WATCH = "mutation($id: ID!, $kinds: [WatchKind!]) { watchPerson(personId: $id, kinds: $kinds) { id } }"
WATCHES = "query { watches { id personId } }"
CANCEL = "mutation($id: ID!) { cancelWatch(id: $id) { id } }"
ACCESS_LOG = """query($id: ID!) { accessLog(personId: $id, first: 50) {
  events { clientId outcome disclosed { partner kind recordId } } } }"""
DARREN_PNC = format_pnc_id(2001, 318824)
PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
DARREN_BORN = date(1984, 3, 12)


async def hub_on(urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> AsyncIterator[HubClient]:
    settings = HubSettings(watch_poll_seconds=0)  # each test polls, one poll at a time
    async for client in open_hub(partner_configs(urls, southmoor.url, eastvale.url), settings):
        yield client


@pytest.fixture
async def hub(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner
) -> AsyncIterator[HubClient]:
    async for client in hub_on(demo_urls, southmoor, own_eastvale):
        yield client


@pytest.fixture
async def hub_and_northshire(
    demo_urls: dict[str, str], own_northshire: str, southmoor: Partner, own_eastvale: Partner
) -> AsyncIterator[tuple[HubClient, str]]:
    """A hub whose Northshire (the SQL partner) is a copy of its own, to add records to."""
    async for client in hub_on({**demo_urls, "northshire": own_northshire}, southmoor, own_eastvale):
        yield client, own_northshire


async def watch_darren(hub: HubClient, kinds: list[str] | None = None) -> str:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride", "givenName": "Darren"}})
    [darren] = body["data"]["searchPersons"]["people"]
    made = await hub.query(WATCH, {"id": darren["id"], "kinds": kinds})
    await told(hub)  # the feeds' cursors are now, and the watched records' keys are read
    return str(made["data"]["watchPerson"]["id"])


async def told(hub: HubClient) -> list[Notification]:
    """What one poll tells the investigator's subscription, in order."""
    async with hub.app.state.broker.subscribe("investigator") as subscription:
        await hub.app.state.poller.poll_once()
        return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]


async def eastvale_arrests_a_new_subject(partner: Partner, **subject: Any) -> tuple[str, str]:
    """Eastvale makes a new subject record and arrests them: (subject ref, custody ref)."""
    body = {"subject": subject, "reason": "Burglary", "offences": [{"code": "B1", "wording": "Burglary"}]}
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{partner.url}/_demo/arrests", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["subjectRef"]), str(response.json()["ref"])


async def watched_person_names(hub: HubClient, watch_id: str) -> set[tuple[str, str]]:
    listed = (await hub.query(WATCHES))["data"]["watches"]
    person_id = next(w["personId"] for w in listed if w["id"] == watch_id)
    return set(await hub.app.state.person_ids.decode(person_id))


async def test_a_new_record_under_a_misspelt_name_is_matched_and_its_arrest_fires_the_watch(
    hub: HubClient, own_eastvale: Partner
) -> None:
    watch_id = await watch_darren(hub)
    subject, custody = await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Daren", dateOfBirth=DARREN_BORN.isoformat(), sex="M"
    )

    matched, arrested = await told(hub)

    assert matched.kind is Capability.PEOPLE and matched.partner == "eastvale"
    assert isinstance(matched.record, Match) and matched.record.record_id == subject
    assert matched.record.by is MatchedBy.NAME_AND_DATE_OF_BIRTH and 0.85 <= matched.record.confidence < 1
    assert arrested.kind is Capability.CUSTODY and arrested.record.id == custody
    assert arrested.person_record_id == subject, "fired through the record the match added"
    assert ("eastvale", subject) in await watched_person_names(hub, watch_id)
    assert await told(hub) == [], "told once"
    # The watch's person id now names the new record, and the auditor sees who was told of it.
    listed = (await hub.query(WATCHES))["data"]["watches"]
    person_id = next(w["personId"] for w in listed if w["id"] == watch_id)
    log = await hub.query(ACCESS_LOG, {"id": person_id}, client="auditor", purpose="audit")
    disclosed = {
        (d["kind"], d["recordId"])
        for e in log["data"]["accessLog"]["events"]
        if e["outcome"] == "watch-fired" and e["clientId"] == "investigator"
        for d in e["disclosed"]
    }
    assert disclosed == {("match", subject), ("custody", custody)}


async def test_a_new_record_at_the_sql_partner_with_the_same_pnc_id_is_matched_whatever_its_name(
    hub_and_northshire: tuple[HubClient, str],
) -> None:
    hub, own_northshire = hub_and_northshire
    watch_id = await watch_darren(hub)
    store = DemoStore(own_northshire)
    try:
        ref = await store.add_person("Kilbryde", "D", None, "M", DARREN_PNC)
        custody = await store.add_custody(ref, "Assault", [("A1", "Assault")], "Northshire Central", "PS 1")
    finally:
        await store.aclose()

    matched, arrested = await told(hub)

    assert matched.partner == "northshire" and matched.record == Match(ref, 1.0, MatchedBy.PNC_ID)
    assert arrested.record.id == custody and arrested.watch.watch_id == watch_id
    assert ("northshire", ref) in await watched_person_names(hub, watch_id)


async def test_the_same_name_and_birth_date_under_another_pnc_id_is_another_person(
    hub: HubClient, own_eastvale: Partner
) -> None:
    await watch_darren(hub)
    other, _ = await eastvale_arrests_a_new_subject(
        own_eastvale,
        surname="Kilbride",
        forenames="Darren",
        dateOfBirth=DARREN_BORN.isoformat(),
        sex="M",
        pncNumber=format_pnc_id(2003, 51),
    )

    assert await told(hub) == []
    async with hub.app.state.watches.engine.connect() as conn:
        names = {r.record_id for r in await conn.execute(select(watch_source.c.record_id))}
    assert other not in names


async def test_a_watch_not_for_people_records_is_still_told_of_what_the_matched_record_holds(
    hub: HubClient, own_eastvale: Partner
) -> None:
    await watch_darren(hub, ["CUSTODY"])
    _, custody = await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Darren", dateOfBirth=DARREN_BORN.isoformat()
    )

    [arrested] = await told(hub)

    assert arrested.kind is Capability.CUSTODY and arrested.record.id == custody


async def test_an_ended_watch_matches_nothing_and_keeps_no_keys(
    hub: HubClient, own_eastvale: Partner
) -> None:
    watch_id = await watch_darren(hub)
    await hub.query(CANCEL, {"id": watch_id})
    async with hub.app.state.watches.engine.connect() as conn:
        assert (await conn.execute(select(watch_source))).all() == [], "no keys, nothing to match with"
    await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Darren", dateOfBirth=DARREN_BORN.isoformat()
    )

    assert await told(hub) == []


async def test_two_new_records_under_different_pnc_ids_do_not_both_join_one_person(
    hub: HubClient, own_eastvale: Partner
) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Marsh", "givenName": "Chloe"}})
    [chloe] = body["data"]["searchPersons"]["people"]  # no force holds a PNC ID for her
    await hub.query(WATCH, {"id": chloe["id"]})
    await told(hub)
    new = {"surname": "Marsh", "forenames": "Chloe", "dateOfBirth": "2008-06-30", "sex": "F"}
    one, _ = await eastvale_arrests_a_new_subject(own_eastvale, **new, pncNumber=format_pnc_id(2024, 11))
    two, _ = await eastvale_arrests_a_new_subject(own_eastvale, **new, pncNumber=format_pnc_id(2024, 12))

    notes = await told(hub)

    [matched] = [n.record.record_id for n in notes if n.kind is Capability.PEOPLE]
    assert matched in {one, two}, "one of them is Chloe; the other, by its PNC ID, someone else"
    assert {n.person_record_id for n in notes if n.kind is Capability.CUSTODY} == {matched}


@pytest.mark.parametrize(
    ("second", "joins"),
    [("Danny", "Daniel"), ("Daniel", None)],
    ids=["the likelier one", "neither when they are as likely"],
)
async def test_a_record_named_like_two_watched_namesakes_with_different_pnc_ids_joins_one_at_most(
    hub: HubClient, own_eastvale: Partner, second: str, joins: str | None
) -> None:
    namesakes = {}
    for forenames, serial in (("Daniel", 21), (second, 22)):  # born the same day, with different PNC IDs
        ref, _ = await eastvale_arrests_a_new_subject(
            own_eastvale, surname="Okafor", forenames=forenames, dateOfBirth="1990-01-01", sex="M",
            pncNumber=format_pnc_id(2010, serial),
        )  # fmt: skip
        namesakes[ref] = forenames
    principal = Principal(client_id="investigator", organisation="Northshire Police", scopes=frozenset())
    until = datetime.now(UTC) + timedelta(days=1)
    watches = {}
    for ref in namesakes:
        made = await hub.app.state.watches.create(
            principal, [("eastvale", ref)], ["people"], until, "investigation", None
        )
        watches[made.watch_id] = namesakes[ref]
    await told(hub)
    newcomer, _ = await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Okafor", forenames="Daniel", dateOfBirth="1990-01-01", sex="M"
    )

    matched = [n for n in await told(hub) if n.kind is Capability.PEOPLE]

    assert [(watches[n.watch.watch_id], n.record.record_id) for n in matched] == (
        [(joins, newcomer)] if joins else []
    )


def test_a_record_with_a_pnc_id_is_not_matched_on_its_name_while_a_watched_record_is_not_keyed() -> None:
    name = (PersonName("Marsh", "Chloe"),)
    watched = PersonRecord("southmoor", "SM1", name, date(2008, 6, 30), Gender.FEMALE)
    new = PersonRecord(
        "eastvale", "NM1", name, date(2008, 6, 30), Gender.FEMALE, pnc_id=format_pnc_id(2024, 11)
    )
    keyed = {("southmoor", "SM1"): SourceKeys(None, date(2008, 6, 30))}
    unknown = {**keyed, ("westmoor", "W1"): SourceKeys(None, None, keyed=False)}  # may hold another PNC ID
    records = {("southmoor", "SM1"): watched}

    assert Matcher._compare("NM1", new, keys_of(new), keyed, records) == Match(
        "NM1", 1.0, MatchedBy.NAME_AND_DATE_OF_BIRTH
    )
    assert Matcher._compare("NM1", new, keys_of(new), unknown, records) is None


async def test_when_the_trail_cannot_be_written_the_page_is_read_again_and_matched_again(
    hub: HubClient, own_eastvale: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch_id = await watch_darren(hub)
    subject, _ = await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Daren", dateOfBirth=DARREN_BORN.isoformat(), sex="M"
    )
    audit = hub.app.state.poller.audit

    async def down(event: object) -> None:
        raise AuditUnavailable("the audit database is down")

    with monkeypatch.context() as patch:
        patch.setattr(audit, "append", down)
        assert await told(hub) == []
    assert ("eastvale", subject) not in await watched_person_names(hub, watch_id), (
        "nothing told, nothing kept"
    )

    assert [n.kind for n in await told(hub)] == [Capability.PEOPLE, Capability.CUSTODY]
    assert ("eastvale", subject) in await watched_person_names(hub, watch_id)


async def test_a_watch_made_since_the_last_poll_is_matched_by_the_feeds_reader(
    hub: HubClient, own_eastvale: Partner
) -> None:
    await told(hub)  # the feeds' cursors are now
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride", "givenName": "Darren"}})
    await hub.query(WATCH, {"id": body["data"]["searchPersons"]["people"][0]["id"]})
    await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Daren", dateOfBirth=DARREN_BORN.isoformat(), sex="M"
    )

    # Read by a replica that is not the one keying watched records: it keys them itself first.
    told_now = await hub.app.state.poller.poll("eastvale")

    assert [n.kind for n in told_now] == [Capability.PEOPLE, Capability.CUSTODY]


async def test_records_waiting_for_keys_are_read_a_page_per_partner(hub: HubClient) -> None:
    store = hub.app.state.watches
    principal = Principal(client_id="investigator", organisation="Northshire Police", scopes=frozenset())
    until = datetime.now(UTC) + timedelta(days=1)
    sources = [("eastvale", "E1"), ("eastvale", "E2"), ("eastvale", "E3"), ("southmoor", "S1")]
    await store.create(principal, sources, ["custody"], until, "investigation", None)

    # A partner with many records waiting (one that cannot answer, say) leaves room for the others.
    assert await store.unkeyed(2) == [("eastvale", "E1"), ("eastvale", "E2"), ("southmoor", "S1")]


async def test_an_expired_watch_loses_its_keys_at_the_next_poll(hub: HubClient) -> None:
    store = hub.app.state.watches
    principal = Principal(client_id="investigator", organisation="Northshire Police", scopes=frozenset())
    soon = datetime.now(UTC) + timedelta(seconds=1)
    await store.create(principal, [("eastvale", "EV000001")], ["custody"], soon, "investigation", None)
    await hub.app.state.poller.key_sources()
    async with store.engine.connect() as conn:
        assert (await conn.execute(select(watch_source.c.date_of_birth))).scalars().all() == [DARREN_BORN]

    await asyncio.sleep(1.1)  # it runs out
    await hub.app.state.poller.key_sources()

    async with store.engine.connect() as conn:
        assert (await conn.execute(select(watch_source))).all() == []


async def test_the_watched_records_keys_are_read_once_and_hold_no_names(hub: HubClient) -> None:
    await watch_darren(hub)

    async with hub.app.state.watches.engine.connect() as conn:
        rows = (await conn.execute(select(watch_source))).mappings().all()
    assert rows and all(row["keyed_at"] is not None for row in rows)
    # As each partner records him (one force holds no PNC ID for him).
    assert DARREN_PNC in {row["pnc_id"] for row in rows} <= {DARREN_PNC, None}
    assert DARREN_BORN in {row["date_of_birth"] for row in rows} <= {DARREN_BORN, None}
    assert not any("Kilbride" in str(value) for row in rows for value in row.values())
    assert await hub.app.state.watches.unkeyed(100) == []


async def test_a_page_read_again_tells_the_same_events_under_the_same_ids(
    hub: HubClient, own_eastvale: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    await watch_darren(hub)
    await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Daren", dateOfBirth=DARREN_BORN.isoformat(), sex="M"
    )
    store = hub.app.state.watches

    async def lost(*args: object) -> None:
        raise LeaseLost("another replica holds the feed now")

    with monkeypatch.context() as patch:
        patch.setattr(store, "finish_page", lost)
        first = await told(hub)  # told, then the page could not be finished
    again = await told(hub)

    assert [n.kind for n in first] == [Capability.PEOPLE, Capability.CUSTODY]
    assert [n.event_id for n in again] == [n.event_id for n in first], "a receiver can tell them apart"
    assert await told(hub) == []


async def test_a_replica_that_lost_the_feed_stores_nothing(hub: HubClient) -> None:
    await watch_darren(hub)  # this replica holds Eastvale's feed
    store, holder = hub.app.state.watches, hub.app.state.poller.holder
    assert await store.lease("eastvale", "another-replica", 60) is False
    async with store.engine.begin() as conn:  # its lease ran out, and another replica took the feed
        await conn.execute(
            update(partner_cursor).values(lease_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert await store.lease("eastvale", "another-replica", 60) is True
    before = await store.cursor("eastvale")
    [(watch_id, sources)] = [(w.watch_id, w.sources) for w in await store.of_client("investigator")]
    added = [(watch_id, "northshire", "NS999999", SourceKeys(None, None))]

    with pytest.raises(LeaseLost):
        await store.finish_page("eastvale", "999", holder, added)

    assert await store.cursor("eastvale") == before
    [watch] = await store.of_client("investigator")
    assert watch.sources == sources


async def test_two_polls_adding_records_to_one_watch_at_once_both_land(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner, tmp_path: Path
) -> None:
    """On PostgreSQL each poll locks the watch before adding (no deadlock with the rows' foreign-key locks);
    on SQLite, the write lock. Forty rounds of two at once."""
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(private_pg_database("hub_watch_sources")) if PG_URL else None
        settings = HubSettings(watch_poll_seconds=0, **({"database_url": database} if database else {}))
        configs = partner_configs(demo_urls, southmoor.url, own_eastvale.url)
        async for hub in open_hub(configs, settings, tmp_path / "hub"):
            store, holder = hub.app.state.watches, "this-replica"
            principal = Principal(
                client_id="investigator", organisation="Northshire Police", scopes=frozenset()
            )
            until = datetime.now(UTC) + timedelta(days=1)
            made = await store.create(
                principal, [("eastvale", "E0")], ["custody"], until, "investigation", None
            )
            for partner in ("eastvale", "southmoor"):
                assert await store.lease(partner, holder, 60)
            keys = SourceKeys(None, None)
            for n in range(40):
                await asyncio.gather(
                    store.finish_page(
                        "eastvale", str(n), holder, [(made.watch_id, "eastvale", f"E{n + 1}", keys)]
                    ),
                    store.finish_page(
                        "southmoor", str(n), holder, [(made.watch_id, "southmoor", f"S{n}", keys)]
                    ),
                )
            [watch] = await store.of_client("investigator")
    assert len(watch.sources) == 81 and len(set(watch.sources)) == 81
