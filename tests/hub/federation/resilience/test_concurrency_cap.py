"""The cap on concurrent calls per partner, as the partner saw it: its request log's intervals never overlap
more than `max_concurrent_calls` deep, however many requests the hub serves at once."""

from __future__ import annotations

import asyncio

from connectors.contract import PartnerConfig
from tests.hub.federation.resilience.helpers import max_overlap, statuses, tuned
from tests.hub.queries import SEARCH_IDS
from tests.support import Partner, open_hub

REQUESTS = 6


async def test_a_partner_never_sees_more_than_its_cap_of_concurrent_calls(
    configs: list[PartnerConfig], southmoor: Partner, eastvale: Partner
) -> None:
    # Latency keeps each call in flight long enough for the requests to pile up behind the cap.
    southmoor.faults.update({"latency_ms": 150})
    eastvale.faults.update({"latency_ms": 150})
    configs = tuned(configs, "southmoor", max_concurrent_calls=2, timeout=30.0)
    async for hub in open_hub(configs):
        bodies = await asyncio.gather(
            *(hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}}) for _ in range(REQUESTS))
        )

    assert all(statuses(body)["southmoor"]["outcome"] == "ok" for body in bodies)
    log = southmoor.log.snapshot()
    assert len(log) == REQUESTS
    assert max_overlap(log) <= 2
    # The uncapped partner, asked the same at the same time, had them all in flight together: the cap is
    # what held southmoor back, not the way the requests arrived.
    assert max_overlap(eastvale.log.snapshot()) > 2
