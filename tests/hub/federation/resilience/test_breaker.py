"""The circuit breaker against a real partner: it opens after the configured failures, then no request
reaches the partner (its own request log says so) and callers get PARTNER_CIRCUIT_OPEN with the other
partners' records; after the cool-down one trial goes through, closing the breaker if the partner has
recovered and reopening it if not."""

from __future__ import annotations

from connectors.contract import PartnerConfig
from hub.federation.breaker import BreakerState
from tests.hub.federation.resilience.helpers import breaker, partner_errors, statuses, tuned, wait_for_state
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub

KILBRIDE = {"criteria": {"familyName": "Kilbride"}}


def sources(body: dict[str, object]) -> set[str]:
    people = body["data"]["searchPersons"]["people"]  # type: ignore[index]
    return {s["partner"] for p in people for s in p["sources"]}


async def search(hub: HubClient) -> dict[str, object]:
    return await hub.query(SEARCH_IDS, KILBRIDE)


async def test_breaker_opens_after_the_configured_failures_and_short_circuits(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=3, breaker_cooldown=60.0, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        for _ in range(3):
            body = await search(hub)
            assert partner_errors(body)["southmoor"]["code"] == "PARTNER_UNAVAILABLE"
        assert len(southmoor.log.snapshot()) == 3
        assert breaker(hub, "southmoor").state is BreakerState.OPEN

        southmoor.faults.update({"mode": None})  # recovered: the breaker does not know yet, and asks nobody
        for _ in range(3):
            body = await search(hub)
            error = partner_errors(body)["southmoor"]
            assert error == {"code": "PARTNER_CIRCUIT_OPEN", "partner": "southmoor"}
            status = statuses(body)["southmoor"]
            assert status["outcome"] == "circuit-open" and status["calls"] == 0
            result = body["data"]["searchPersons"]  # type: ignore[index]
            assert {p["name"]: p["outcome"] for p in result["partners"]}["southmoor"] == "CIRCUIT_OPEN"
            assert sources(body) == {"northshire", "eastvale"}, "the other partners still answer"
        assert len(southmoor.log.snapshot()) == 3, "no request reached the partner while it was open"


async def test_after_the_cool_down_a_trial_call_closes_the_breaker_when_the_partner_recovered(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=2, breaker_cooldown=0.2, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        await search(hub)
        await search(hub)
        southmoors = breaker(hub, "southmoor")
        assert southmoors.state is not BreakerState.CLOSED
        await wait_for_state(southmoors, BreakerState.HALF_OPEN)
        southmoor.faults.update({"mode": None})
        southmoor.log.clear()

        body = await search(hub)

        assert southmoor.kinds() == ["search"], "exactly one trial call reached the partner"
        assert statuses(body)["southmoor"] == {
            "name": "southmoor",
            "outcome": "ok",
            "calls": 1,
            "latencyMs": statuses(body)["southmoor"]["latencyMs"],
        }
        assert "southmoor" in sources(body)
        assert breaker(hub, "southmoor").state is BreakerState.CLOSED
        await search(hub)
        assert len(southmoor.kinds()) == 2


async def test_a_failed_trial_reopens_the_breaker(configs: list[PartnerConfig], southmoor: Partner) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=2, breaker_cooldown=0.2, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        await search(hub)
        await search(hub)
        southmoors = breaker(hub, "southmoor")
        await wait_for_state(southmoors, BreakerState.HALF_OPEN)
        southmoor.log.clear()

        body = await search(hub)

        assert len(southmoor.log.snapshot()) == 1, "exactly one trial call reached the partner"
        assert partner_errors(body)["southmoor"]["code"] == "PARTNER_UNAVAILABLE"
        assert breaker(hub, "southmoor").state is BreakerState.OPEN
        # Open for a new cool-down: it half-opens again later, rather than staying open for good.
        await wait_for_state(southmoors, BreakerState.HALF_OPEN)


async def test_bad_input_never_counts_against_a_partner(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1)
    async for hub in open_hub(configs):
        for criteria in ({}, {"pncId": "not a PNC ID"}, {"familyName": "x" * 500}):
            body = await hub.query(SEARCH_IDS, {"criteria": criteria})
            assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

        assert southmoor.kinds() == []
        assert breaker(hub, "southmoor").state is BreakerState.CLOSED
        body = await search(hub)
        assert "southmoor" in sources(body)


async def test_a_breaker_belongs_to_one_hub_process(configs: list[PartnerConfig], southmoor: Partner) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1, breaker_cooldown=60.0, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for first in open_hub(configs):
        await search(first)
        assert breaker(first, "southmoor").state is BreakerState.OPEN
        async for second in open_hub(configs):
            assert breaker(second, "southmoor").state is BreakerState.CLOSED
