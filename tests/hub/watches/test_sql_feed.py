"""A watch on the SQL partner's records: Northshire's change feed is a table its mapping names. A
child-protection agency watching Chloe Marsh is told of a new domestic-abuse incident there, and of nothing
when Northshire records a custody event about her (it may never read custody)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from connectors.contract import Capability
from connectors.demo.store import DemoStore
from hub.config.settings import HubSettings
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

WATCH = "mutation($id: ID!) { watchPerson(personId: $id) { id kinds } }"


@pytest.fixture
async def hub(
    demo_urls: dict[str, str], own_northshire: str, southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    urls = {**demo_urls, "northshire": own_northshire}
    async for client in open_hub(
        partner_configs(urls, southmoor.url, eastvale.url), HubSettings(watch_poll_seconds=0)
    ):
        yield client


async def test_a_child_protection_watch_is_told_of_a_new_incident_and_never_of_custody(
    hub: HubClient, own_northshire: str
) -> None:
    found = await hub.query(
        SEARCH_IDS,
        {"criteria": {"familyName": "Marsh", "givenName": "Chloe"}},
        client="child-protection",
        purpose="safeguarding",
    )
    [chloe] = found["data"]["searchPersons"]["people"]
    ref = next(s["recordId"] for s in chloe["sources"] if s["partner"] == "northshire")
    made = await hub.query(WATCH, {"id": chloe["id"]}, client="child-protection", purpose="safeguarding")
    assert "CUSTODY" in made["data"]["watchPerson"]["kinds"], "it asked for every kind"
    assert "northshire" in hub.app.state.poller.feeds()
    await hub.app.state.poller.poll_once()  # where the feeds are now
    store = DemoStore(own_northshire)
    try:
        incident = await store.add_referral(
            ref, "DA", "Police called to a domestic incident; Chloe present", True
        )
        await store.add_custody(
            ref, "Breach of the peace", [("PE1", "Breach of the peace")], "Northshire Central", "PS 1"
        )
    finally:
        await store.aclose()

    async with hub.app.state.broker.subscribe("child-protection") as subscription:
        told = await hub.app.state.poller.poll_once()

    [notification] = told
    assert subscription.queue.qsize() == 1
    assert notification.kind is Capability.SAFEGUARDING and notification.partner == "northshire"
    assert notification.record.id == incident and notification.record.children_present is True
    assert notification.detected_at <= datetime.now(UTC)
