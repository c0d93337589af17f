"""Several replicas: a change is detected by one (the feed's lease holder) and its notification reaches the
subscriptions of every replica through Redis, once. The records travel as their canonical types."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from connectors.canonical import CustodyOutcome, CustodyRecord, Offence
from hub.config.settings import HubSettings
from hub.watches.store import WatchRecord
from hub.watches.wire import from_wire, to_wire
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
WATCH = "mutation($id: ID!) { watchPerson(personId: $id, kinds: [CUSTODY]) { id } }"


def test_a_record_and_a_watch_travel_as_themselves() -> None:
    record = CustodyRecord(
        "eastvale", "CU1", "EV/1", "Eastvale Central", datetime(2026, 12, 7, 1, 2), "Wanted on warrant",
        offences=(Offence("W1", "FTA"),), outcome=CustodyOutcome.IN_CUSTODY, risk_flags=("Self-harm",),
    )  # fmt: skip
    watch = WatchRecord(
        "w1", "investigator", "os", "Northshire Police", "police-force", (("eastvale", "EV1"),), ("custody",),
        "investigation", None, datetime(2026, 12, 7, tzinfo=UTC), datetime(2027, 1, 6, tzinfo=UTC), None,
    )  # fmt: skip

    assert from_wire(CustodyRecord, to_wire(record)) == record
    assert from_wire(WatchRecord, to_wire(watch)) == watch
    assert from_wire(date, "2026-12-07") == date(2026, 12, 7)


@pytest.fixture
async def two_replicas(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner, tmp_path: Path
) -> AsyncIterator[tuple[HubClient, HubClient]]:
    if not REDIS_URL:
        pytest.skip("HUB_TEST_REDIS_URL is not set")
    configs = partner_configs(demo_urls, southmoor.url, own_eastvale.url)
    settings = HubSettings(watch_poll_seconds=0, redis_url=REDIS_URL)
    async for first in open_hub(configs, settings, tmp_path / "hub"):
        async for second in open_hub(configs, settings, tmp_path / "hub"):  # the same database
            yield first, second


async def test_a_change_detected_by_one_replica_reaches_a_subscriber_on_the_other_once(
    two_replicas: tuple[HubClient, HubClient], own_eastvale: Partner
) -> None:
    first, second = two_replicas
    found = await first.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    [darren] = found["data"]["searchPersons"]["people"]
    await first.query(WATCH, {"id": darren["id"]})
    await first.app.state.poller.poll_once()  # the first replica holds Eastvale's feed from now on
    ref = next(s["recordId"] for s in darren["sources"] if s["partner"] == "eastvale")
    body = {"subjectRef": ref, "reason": "Wanted on warrant", "offences": [{"code": "W1", "wording": "FTA"}]}
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{own_eastvale.url}/_demo/arrests", json=body)).status_code == 201
    await asyncio.sleep(0.3)  # the second replica's listener is subscribed

    async with second.app.state.broker.subscribe("investigator") as subscription:
        detected = await first.app.state.poller.poll_once()
        assert await second.app.state.poller.poll_once() == [], "detected once: by the lease holder"
        told = await asyncio.wait_for(subscription.queue.get(), timeout=5)
        await asyncio.sleep(0.3)

    [notification] = detected
    assert told.event_id == notification.event_id and told.record == notification.record
    assert subscription.queue.empty(), "delivered once"
