"""The circuit breaker on its own: what opens it, what it refuses, its half-open trial, what it ignores."""

from __future__ import annotations

import asyncio

import pytest
from purgatory import AsyncCircuitBreakerFactory

from connectors.errors import PartnerBadResponse, PartnerCircuitOpen, PartnerTimeout, PartnerUnavailable
from hub.federation.breaker import Breaker, BreakerState
from tests.hub.federation.resilience.helpers import wait_until


class Partner:
    """A stand-in partner call that counts how often it was made and fails while told to."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing: Exception | None = PartnerUnavailable("p", "HTTP 503 from the partner")
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> str:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failing is not None:
            raise self.failing
        return "answer"


def state(breaker: Breaker) -> BreakerState:
    """The breaker's state now (a call, so that the type checker does not hold on to an earlier answer)."""
    return breaker.state


def make(threshold: int = 3, cooldown: float = 30.0) -> Breaker:
    return Breaker(AsyncCircuitBreakerFactory(), "p", threshold, cooldown)


async def fail(breaker: Breaker, partner: Partner, times: int) -> None:
    for _ in range(times):
        with pytest.raises(PartnerUnavailable):
            await breaker.run(partner)


async def test_breaker_opens_after_the_threshold_and_then_refuses_without_calling() -> None:
    breaker, partner = make(threshold=3), Partner()

    await fail(breaker, partner, 2)
    assert state(breaker) is BreakerState.CLOSED
    await fail(breaker, partner, 1)
    assert state(breaker) is BreakerState.OPEN

    with pytest.raises(PartnerCircuitOpen) as refused:
        await breaker.run(partner)
    assert partner.calls == 3
    assert refused.value.code == "PARTNER_CIRCUIT_OPEN" and refused.value.partner == "p"
    assert refused.value.outcome == "circuit-open"
    snapshot = breaker.snapshot()
    assert snapshot.recent_failures == 3 and snapshot.last_failure_outcome == "unavailable"
    assert snapshot.trial_at is not None and snapshot.last_error == "HTTP 503 from the partner"


@pytest.mark.parametrize(
    "failure",
    [PartnerTimeout("p", "no answer within 1s"), PartnerBadResponse("p", "the answer is not JSON")],
)
async def test_timeouts_and_bad_responses_count_as_failures(failure: Exception) -> None:
    breaker, partner = make(threshold=1), Partner()
    partner.failing = failure

    with pytest.raises(type(failure)):
        await breaker.run(partner)

    assert state(breaker) is BreakerState.OPEN


async def test_failures_only_open_the_breaker_when_in_a_row() -> None:
    breaker, partner = make(threshold=2), Partner()
    for _ in range(3):
        await fail(breaker, partner, 1)
        partner.failing, failing = None, partner.failing
        assert await breaker.run(partner) == "answer"
        partner.failing = failing
    assert state(breaker) is BreakerState.CLOSED
    assert breaker.snapshot().recent_failures == 0


async def test_after_the_cool_down_one_trial_goes_through_and_success_closes_it() -> None:
    breaker, partner = make(threshold=1, cooldown=0.05), Partner()
    await fail(breaker, partner, 1)
    await wait_until(lambda: state(breaker) is BreakerState.HALF_OPEN)
    partner.failing, partner.gate = None, asyncio.Event()

    trial = asyncio.create_task(breaker.run(partner))
    await wait_until(lambda: partner.calls == 2)
    # While the trial is in flight the breaker lets nothing else through.
    assert state(breaker) is BreakerState.OPEN
    with pytest.raises(PartnerCircuitOpen):
        await breaker.run(partner)
    partner.gate.set()

    assert await trial == "answer"
    assert partner.calls == 2
    assert state(breaker) is BreakerState.CLOSED
    assert await breaker.run(partner) == "answer"


async def test_a_failed_trial_reopens_the_breaker() -> None:
    breaker, partner = make(threshold=1, cooldown=0.05), Partner()
    await fail(breaker, partner, 1)
    await wait_until(lambda: state(breaker) is BreakerState.HALF_OPEN)

    await fail(breaker, partner, 1)

    assert partner.calls == 2
    assert state(breaker) is BreakerState.OPEN
    with pytest.raises(PartnerCircuitOpen):
        await breaker.run(partner)
    assert partner.calls == 2


async def test_a_cancelled_call_says_nothing_about_the_partner() -> None:
    breaker, partner = make(threshold=1, cooldown=0.05), Partner()
    partner.gate = asyncio.Event()
    call = asyncio.create_task(breaker.run(partner))
    await wait_until(lambda: partner.calls == 1)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert state(breaker) is BreakerState.CLOSED

    # Nor does a cancelled trial close an open breaker: the next call is a trial again.
    partner.gate = None
    await fail(breaker, partner, 1)
    await wait_until(lambda: state(breaker) is BreakerState.HALF_OPEN)
    partner.gate = asyncio.Event()
    trial = asyncio.create_task(breaker.run(partner))
    await wait_until(lambda: partner.calls == 3)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert state(breaker) is BreakerState.HALF_OPEN


async def test_other_exceptions_are_neither_failures_nor_successes() -> None:
    breaker, partner = make(threshold=1), Partner()
    partner.failing = ValueError("a defect in the hub, not the partner")

    with pytest.raises(ValueError):
        await breaker.run(partner)

    assert state(breaker) is BreakerState.CLOSED
    assert breaker.snapshot().recent_failures == 0
