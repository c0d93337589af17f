"""A watch fires when a partner records something new about the person: the change feed is read, matched
to the watch, the record fetched, the firing audited (so accessLog on the person shows who was told), and
the watcher's subscription told; told only what the watcher may read at that moment, and nothing once the
watch has ended or the client is revoked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.audit.tables import audit_disclosure, audit_event
from hub.config.settings import HubSettings
from hub.watches.broker import Broker, Notification
from hub.watches.poller import Poller
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

WATCH = "mutation($id: ID!, $kinds: [WatchKind!]) { watchPerson(personId: $id, kinds: $kinds) { id } }"
CANCEL = "mutation($id: ID!) { cancelWatch(id: $id) { id } }"
ACCESS_LOG = """query($id: ID!) { accessLog(personId: $id, first: 50) {
  events { clientId outcome purpose disclosed { partner kind recordId } } } }"""


@pytest.fixture
async def hub(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner
) -> AsyncIterator[HubClient]:
    # The poll is made by the tests, one at a time: no background poller.
    settings = HubSettings(watch_poll_seconds=0)
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, own_eastvale.url), settings):
        yield client


async def person(hub: HubClient, surname: str) -> dict[str, Any]:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": surname}})
    [found] = body["data"]["searchPersons"]["people"]
    return dict(found)


async def arrest(partner: Partner, subject: str) -> str:
    body = {
        "subjectRef": subject,
        "reason": "Wanted on warrant",
        "offences": [{"code": "W1", "wording": "FTA"}],
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{partner.url}/_demo/arrests", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


def eastvale_ref(found: dict[str, Any]) -> str:
    return next(s["recordId"] for s in found["sources"] if s["partner"] == "eastvale")


async def told(hub: HubClient, client_id: str) -> list[Notification]:
    """What one poll tells the client's subscription."""
    async with hub.app.state.broker.subscribe(client_id) as subscription:
        await hub.app.state.poller.poll_once()
        return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]


async def test_an_arrest_in_another_force_fires_the_watch_audited_before_it_is_told(
    hub: HubClient, own_eastvale: Partner
) -> None:
    darren = await person(hub, "Kilbride")
    watch = (await hub.query(WATCH, {"id": darren["id"], "kinds": ["CUSTODY"]}))["data"]["watchPerson"]
    assert await told(hub, "investigator") == [], "the first poll only finds where the feed is now"

    custody_ref = await arrest(own_eastvale, eastvale_ref(darren))
    [notification] = await told(hub, "investigator")

    assert notification.watch.watch_id == watch["id"] and notification.partner == "eastvale"
    assert notification.record.id == custody_ref and notification.record.arrest_reason == "Wanted on warrant"
    assert await told(hub, "investigator") == [], "told once: the cursor moved on"
    async with hub.app.state.audit.engine.connect() as conn:
        fired = (await conn.execute(select(audit_event).where(audit_event.c.outcome == "watch-fired"))).all()
        [event] = fired
        [disclosed] = (
            await conn.execute(select(audit_disclosure).where(audit_disclosure.c.seq == event.seq))
        ).all()
    assert (event.client_id, event.purpose) == ("investigator", "investigation")
    assert (disclosed.partner, disclosed.kind, disclosed.record_id) == ("eastvale", "custody", custody_ref)
    log = await hub.query(ACCESS_LOG, {"id": darren["id"]}, client="auditor", purpose="audit")
    fired_events = [e for e in log["data"]["accessLog"]["events"] if e["outcome"] == "watch-fired"]
    assert fired_events and fired_events[0]["clientId"] == "investigator"


async def test_a_watcher_is_told_only_what_it_may_read_now(hub: HubClient, own_eastvale: Partner) -> None:
    darren = await person(hub, "Kilbride")
    # The agency asks for every kind: what it is told is still only what it may read.
    await hub.query(WATCH, {"id": darren["id"]}, client="child-protection", purpose="safeguarding")
    await told(hub, "child-protection")

    await arrest(own_eastvale, eastvale_ref(darren))

    assert await told(hub, "child-protection") == [], "a child-protection agency is never told of custody"


async def test_an_ended_watch_and_a_revoked_client_are_told_nothing(
    hub: HubClient, own_eastvale: Partner
) -> None:
    darren = await person(hub, "Kilbride")
    ended = (await hub.query(WATCH, {"id": darren["id"]}))["data"]["watchPerson"]
    await hub.query(CANCEL, {"id": ended["id"]})
    frontline_like = await hub.add_client("police-force", ["person:read", "custody:read", "watch:write"])
    await hub.query(WATCH, {"id": darren["id"]}, client=frontline_like)
    await told(hub, "investigator")

    await hub.app.state.auth.clients.revoke(frontline_like)
    await arrest(own_eastvale, eastvale_ref(darren))

    assert await told(hub, "investigator") == []
    assert await told(hub, frontline_like) == []


def test_a_watcher_needs_the_same_scopes_to_be_told_of_a_record_as_to_read_it() -> None:
    from strawberry.types.base import get_object_definition

    from hub.access.scopes_directive import requirement_of
    from hub.schema.person import Person
    from hub.watches.poller import KIND_SCOPES

    fields = {"warning_markers": "markers", "intelligence": "intelligence", "custody": "custody"}
    fields["safeguarding"] = "safeguarding"
    definition = get_object_definition(Person, strict=True)
    for python_name, kind in fields.items():
        [declared] = [v for k, v in KIND_SCOPES.items() if k.value == kind]
        assert requirement_of(definition.get_field(python_name)) == declared, kind
    # A new record of the person: what reading a person needs.
    from connectors.contract import Capability
    from hub.schema.query import Query

    person = get_object_definition(Query, strict=True).get_field("person")
    assert requirement_of(person) == KIND_SCOPES[Capability.PEOPLE]


async def test_one_reader_per_partner_feed_however_many_replicas(
    hub: HubClient, own_eastvale: Partner
) -> None:
    store, first = hub.app.state.watches, hub.app.state.poller
    second = Poller(first.partners, store, first.audit, first.clients, first.policy, Broker())
    darren = await person(hub, "Kilbride")
    await hub.query(WATCH, {"id": darren["id"], "kinds": ["CUSTODY"]})
    await told(hub, "investigator")  # the first replica takes the lease and the cursor

    await arrest(own_eastvale, eastvale_ref(darren))

    assert await second.poll("eastvale") == [], "the other replica leaves the feed to the lease holder"
    assert len(await told(hub, "investigator")) == 1
    assert await store.lease("eastvale", "a replica that died", 60) is False
    await store.lease("eastvale", first.holder, -1)  # the holder stops renewing: its lease runs out
    assert await store.lease("eastvale", second.holder, 60) is True


async def test_each_feed_is_read_at_its_partners_own_interval(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner
) -> None:
    import asyncio
    import dataclasses

    intervals = {"eastvale": 0.1, "southmoor": 0.0, "northshire": 0.0}  # 0: never read
    configs = [
        dataclasses.replace(c, poll_interval=intervals[c.name])
        for c in partner_configs(demo_urls, southmoor.url, own_eastvale.url)
    ]
    async for hub in open_hub(configs, HubSettings(watch_poll_seconds=0)):
        own_eastvale.log.clear()
        southmoor.log.clear()
        running = asyncio.create_task(hub.app.state.poller.run())
        await asyncio.sleep(0.55)
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert own_eastvale.kinds().count("changes") >= 3
    assert "changes" not in southmoor.kinds()


async def test_an_expired_watch_is_told_nothing(hub: HubClient, own_eastvale: Partner) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from hub.watches.tables import watch as watch_table

    darren = await person(hub, "Kilbride")
    await hub.query(WATCH, {"id": darren["id"], "kinds": ["CUSTODY"]})
    await told(hub, "investigator")
    async with hub.app.state.watches.engine.begin() as conn:  # its end has come
        await conn.execute(update(watch_table).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    await arrest(own_eastvale, eastvale_ref(darren))

    assert await told(hub, "investigator") == []
