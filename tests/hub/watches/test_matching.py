"""A watch follows its person into records it did not name: a new people record at a partner is matched to
the watch by entity resolution (the same PNC ID, or a close name and the same date of birth), the watcher is
told of it (kind PEOPLE), and what is recorded about it afterwards (the custody record of the arrest that made
it) fires the watch like the rest. Two PNC IDs are two people, whatever their names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from connectors.contract import Capability
from connectors.demo.store import DemoStore
from connectors.pnc import format_pnc_id
from hub.config.settings import HubSettings
from hub.watches.matching import Match, MatchedBy
from hub.watches.poller import Notification
from hub.watches.tables import watch_source
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

WATCH = "mutation($id: ID!, $kinds: [WatchKind!]) { watchPerson(personId: $id, kinds: $kinds) { id } }"
WATCHES = "query { watches { id personId } }"
CANCEL = "mutation($id: ID!) { cancelWatch(id: $id) { id } }"
ACCESS_LOG = """query($id: ID!) { accessLog(personId: $id, first: 50) {
  events { clientId outcome disclosed { partner kind recordId } } } }"""
DARREN_PNC = format_pnc_id(2001, 318824)
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


async def test_an_ended_watch_matches_nothing(hub: HubClient, own_eastvale: Partner) -> None:
    watch_id = await watch_darren(hub)
    await hub.query(CANCEL, {"id": watch_id})
    await eastvale_arrests_a_new_subject(
        own_eastvale, surname="Kilbride", forenames="Darren", dateOfBirth=DARREN_BORN.isoformat()
    )

    assert await told(hub) == []


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
