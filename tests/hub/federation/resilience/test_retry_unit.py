"""The retry policy and the partner guard on their own: what is retried, how often, and never past the
deadline; a call that is not idempotent is never repeated."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from purgatory import AsyncCircuitBreakerFactory

from connectors.contract import PartnerConfig
from connectors.errors import (
    PartnerBadResponse,
    PartnerCircuitOpen,
    PartnerError,
    PartnerTimeout,
    PartnerUnavailable,
)
from hub.federation.resilience import Attempts, PartnerGuard
from hub.federation.retry import RetryPolicy, is_retriable


class Flaky:
    """A stand-in partner call: fails with `failures` in turn, then answers; notes when each attempt began."""

    def __init__(self, *failures: BaseException, delay: float = 0.0) -> None:
        self.failures = list(failures)
        self.delay = delay
        self.started: list[float] = []

    @property
    def calls(self) -> int:
        return len(self.started)

    async def __call__(self) -> str:
        self.started.append(asyncio.get_running_loop().time())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            raise self.failures.pop(0)
        return "answer"


def unavailable() -> PartnerUnavailable:
    return PartnerUnavailable("p", "GET /api: HTTP 503 from the partner")


def guard(**changes: Any) -> PartnerGuard:
    config = dataclasses.replace(PartnerConfig("p", "rest", retry_backoff=0.0), **changes)
    return PartnerGuard(config, AsyncCircuitBreakerFactory())


async def test_a_retriable_failure_of_an_idempotent_read_is_retried() -> None:
    call = Flaky(unavailable())

    assert await RetryPolicy(attempts=2, backoff=0).run(call, idempotent=True, budget=5) == "answer"

    assert call.calls == 2


async def test_a_call_that_is_not_idempotent_is_never_retried() -> None:
    call = Flaky(unavailable(), unavailable())

    with pytest.raises(PartnerUnavailable):
        await RetryPolicy(attempts=5, backoff=0).run(call, idempotent=False, budget=5)

    assert call.calls == 1


@pytest.mark.parametrize(
    "failure",
    [
        PartnerBadResponse("p", "the answer is not JSON"),
        PartnerUnavailable("p", "HTTP 403 from the partner", retriable=False),
        PartnerCircuitOpen("p", "open"),
        ValueError("a defect"),
    ],
)
async def test_failures_that_would_come_back_the_same_are_not_retried(failure: BaseException) -> None:
    call = Flaky(failure)

    with pytest.raises(type(failure)):
        await RetryPolicy(attempts=5, backoff=0).run(call, idempotent=True, budget=5)

    assert call.calls == 1


async def test_attempts_are_bounded_and_the_last_failure_is_raised_as_it_was() -> None:
    last = PartnerTimeout("p", "no answer within 1s")
    call = Flaky(unavailable(), unavailable(), last, unavailable())

    with pytest.raises(PartnerTimeout) as raised:
        await RetryPolicy(attempts=3, backoff=0).run(call, idempotent=True, budget=5)

    assert raised.value is last
    assert call.calls == 3


async def test_one_attempt_means_no_retry() -> None:
    call = Flaky(unavailable())

    with pytest.raises(PartnerUnavailable):
        await RetryPolicy(attempts=1, backoff=0).run(call, idempotent=True, budget=5)

    assert call.calls == 1


async def test_no_retry_whose_backoff_would_end_past_the_budget() -> None:
    call = Flaky(unavailable())

    # The first retry waits up to 100 s at random; the budget is 50 ms: waiting could only overrun it.
    with pytest.raises(PartnerUnavailable):
        await RetryPolicy(attempts=3, backoff=100).run(call, idempotent=True, budget=0.05)

    assert call.calls == 1


def test_what_is_retriable() -> None:
    assert is_retriable(unavailable()) and is_retriable(PartnerTimeout("p", "slow"))
    assert not is_retriable(PartnerBadResponse("p", "garbage"))
    assert not is_retriable(PartnerCircuitOpen("p", "open"))
    assert not is_retriable(PartnerError("p", "unknown"))
    assert not is_retriable(asyncio.CancelledError())


# -- The guard: breaker, deadline, retries and slots together ------------------------------------------------


async def test_the_guard_never_starts_an_attempt_after_the_partners_timeout() -> None:
    partner = guard(timeout=0.3, retry_attempts=100)
    call = Flaky(*(unavailable() for _ in range(100)), delay=0.05)
    attempts = Attempts()

    with pytest.raises(PartnerUnavailable):  # a timeout is a PartnerUnavailable too
        await partner.call("search", call, idempotent=True, attempts=attempts)

    assert 1 < call.calls < 100
    assert attempts.count == call.calls
    assert max(call.started) < call.started[0] + 0.3


async def test_the_guard_counts_attempts_and_does_not_retry_what_is_not_idempotent() -> None:
    partner = guard(retry_attempts=3)
    call = Flaky(unavailable(), unavailable())
    attempts = Attempts()

    with pytest.raises(PartnerUnavailable):
        await partner.call("search", call, idempotent=False, attempts=attempts)
    assert (call.calls, attempts.count) == (1, 1)

    attempts = Attempts()
    assert await partner.call("search", call, idempotent=True, attempts=attempts) == "answer"
    assert (call.calls, attempts.count) == (3, 2)


async def test_a_connector_defect_becomes_a_bad_response_and_is_not_retried() -> None:
    partner = guard(retry_attempts=3)
    call = Flaky(KeyError("oops"))

    with pytest.raises(PartnerBadResponse):
        await partner.call("people", call, idempotent=True, attempts=Attempts())

    assert call.calls == 1


async def test_waiting_for_a_slot_counts_against_the_deadline() -> None:
    partner = guard(timeout=0.2, max_concurrent_calls=1, retry_attempts=1)
    release = asyncio.Event()
    holding = asyncio.Event()

    async def stubborn() -> str:
        """Holds the only slot, even past its own deadline, until the test lets go."""
        holding.set()
        try:
            await asyncio.sleep(60)
        finally:
            await release.wait()
        return "never"

    first = asyncio.create_task(partner.call("search", stubborn, idempotent=True, attempts=Attempts()))
    await holding.wait()
    waiting, attempts = Flaky(), Attempts()

    with pytest.raises(PartnerTimeout):
        await partner.call("search", waiting, idempotent=True, attempts=attempts)

    assert waiting.calls == 0 and attempts.count == 0
    release.set()
    with pytest.raises(PartnerTimeout):
        await first
