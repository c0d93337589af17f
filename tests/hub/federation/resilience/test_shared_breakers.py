"""Breakers shared by replicas through Redis: a failing partner's failures count at every replica together,
so that two hubs stop calling it after `breaker_threshold` failures between them, not that many each; and
with Redis unreachable each hub goes on with its own breakers."""

from __future__ import annotations

import dataclasses
import os
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from hub.config.settings import HubSettings
from tests.hub.http.test_rate_limits import DEAD_REDIS, _entered
from tests.support import HubClient, Partner, open_demo_hub, open_hub, partner_configs

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
SEARCH = '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 1) { people { id } } }'


def outcome(body: dict[str, object], partner: str) -> str:
    statuses = body["extensions"]["partners"]  # type: ignore[index]
    return next(s["outcome"] for s in statuses if s["name"] == partner)  # type: ignore[union-attr, index]


@pytest.mark.skipif(REDIS_URL is None, reason="HUB_TEST_REDIS_URL is not set")
async def test_two_hubs_open_a_partners_breaker_after_the_threshold_between_them(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner, tmp_path: Path
) -> None:
    # Each run its own Redis database keys: the partner names are the demo's, so clear them first.
    from redis.asyncio import Redis

    redis = Redis.from_url(REDIS_URL)  # type: ignore[arg-type]
    await redis.delete("hub-breaker:southmoor:opened-at", "hub-breaker:southmoor:failures")
    await redis.aclose()
    configs = [
        dataclasses.replace(c, breaker_threshold=3, retry_attempts=1)
        for c in partner_configs(demo_urls, southmoor.url, eastvale.url)
    ]
    settings = HubSettings(
        redis_url=REDIS_URL, rate_limit="1000/second", organisation_rate_limit="1000/second"
    )
    async with AsyncExitStack() as stack:
        hubs: list[HubClient] = [
            await stack.enter_async_context(_entered(open_hub(configs, settings, tmp_path))) for _ in range(2)
        ]
        southmoor.faults.update({"mode": "error"})
        southmoor.log.clear()

        outcomes = []
        for i in range(8):
            body = await hubs[i % 2].query(SEARCH, justification=f"breaker {uuid.uuid4()}")
            outcomes.append(outcome(body, "southmoor"))

        # Three failed calls between the two hubs open it for both: the rest are refused unasked.
        assert len(southmoor.log.snapshot()) == 3, southmoor.log.snapshot()
        assert outcomes[3:] == ["circuit-open"] * 5, outcomes
        statuses = [(await hub.client.get("/readyz")).json() for hub in hubs]
        for status in statuses:
            breaker = {p["name"]: p["breaker"] for p in status["partners"]}["southmoor"]
            assert breaker == "open"


async def test_with_redis_unreachable_each_hub_keeps_its_own_breakers(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> None:
    settings = {"redis_url": DEAD_REDIS, "rate_limit_fail_open": True}
    async with _entered(open_demo_hub(demo_urls, southmoor, eastvale, **settings)) as hub:
        body = await hub.query(SEARCH)
        assert body["data"]["searchPersons"]["people"]
        assert outcome(body, "southmoor") == "ok"
