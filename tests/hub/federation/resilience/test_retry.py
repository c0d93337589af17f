"""Retries against a real partner, counted in its own request log: a retriable failure is tried again, a bad
response is not, and all attempts together stay within the partner's timeout."""

from __future__ import annotations

from typing import Any

from connectors.contract import PartnerConfig
from tests.hub.federation.resilience.helpers import partner_errors, statuses, tuned, wait_until
from tests.hub.queries import SEARCH_IDS
from tests.support import Partner, open_hub

KILBRIDE = {"criteria": {"familyName": "Kilbride"}}
#: Slack for the hub's own work after the deadline fires (cancelling, answering); a fraction of the timeout.
MARGIN = 0.25


async def test_a_server_error_is_retried_once_by_default(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        body = await hub.query(SEARCH_IDS, KILBRIDE)

    assert len(southmoor.log.snapshot()) == 2, "the partner saw the first attempt and one retry"
    assert partner_errors(body)["southmoor"]["code"] == "PARTNER_UNAVAILABLE"
    assert statuses(body)["southmoor"]["calls"] == 2
    assert statuses(body)["southmoor"]["outcome"] == "unavailable"


async def test_attempts_are_configurable_per_partner(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(tuned(configs, "southmoor", retry_attempts=3, retry_backoff=0.01)):
        body = await hub.query(SEARCH_IDS, KILBRIDE)

    assert len(southmoor.log.snapshot()) == 3
    assert statuses(body)["southmoor"]["calls"] == 3


async def test_a_bad_response_is_not_retried(configs: list[PartnerConfig], eastvale: Partner) -> None:
    eastvale.faults.update({"mode": "malformed"})
    async for hub in open_hub(tuned(configs, "eastvale", retry_attempts=5)):
        body = await hub.query(SEARCH_IDS, KILBRIDE)

    assert len(eastvale.log.snapshot()) == 1
    assert partner_errors(body)["eastvale"]["code"] == "PARTNER_BAD_RESPONSE"
    assert statuses(body)["eastvale"] == {**statuses(body)["eastvale"], "outcome": "bad-response", "calls": 1}


async def test_a_hanging_partner_is_not_retried_once_its_timeout_is_spent(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    timeout = 0.5
    southmoor.faults.update({"mode": "hang"})
    async for hub in open_hub(tuned(configs, "southmoor", timeout=timeout, retry_attempts=3)):
        body = await hub.query(SEARCH_IDS, KILBRIDE)

    assert partner_errors(body)["southmoor"]["code"] == "PARTNER_TIMEOUT"
    status = statuses(body)["southmoor"]
    assert status["outcome"] == "timeout" and status["calls"] == 1
    assert status["latencyMs"] <= timeout * 1000 * (1 + MARGIN)
    # The partner logs the hung request when the hub gives up on it and disconnects.
    await wait_until(lambda: len(southmoor.log.snapshot()) >= 1)
    assert len(southmoor.log.snapshot()) == 1


async def test_retries_never_run_past_the_partners_timeout(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    timeout = 1.0
    # Each attempt fails after 300 ms: ten attempts would take three seconds.
    southmoor.faults.update({"mode": "error", "latency_ms": 300})
    async for hub in open_hub(tuned(configs, "southmoor", timeout=timeout, retry_attempts=10)):
        body: dict[str, Any] = await hub.query(SEARCH_IDS, KILBRIDE)

    status = statuses(body)["southmoor"]
    assert status["outcome"] in {"timeout", "unavailable"}
    assert status["latencyMs"] <= timeout * 1000 * (1 + MARGIN)
    # An attempt cut short by the deadline is logged once the partner has finished its latency.
    await wait_until(lambda: len(southmoor.log.snapshot()) >= status["calls"])
    starts = sorted(entry["started"] for entry in southmoor.log.snapshot())
    assert 2 <= len(starts) == status["calls"] < 10
    assert starts[-1] < starts[0] + timeout, "no attempt began after the deadline"
