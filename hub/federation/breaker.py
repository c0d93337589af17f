"""A circuit breaker per partner, per hub process: stop calling a partner that keeps failing.

    closed ──(threshold failed calls in a row)──> open ──(cool-down)──> half-open ──(trial ok)──> closed
                                                   ^                        │
                                                   └─────(trial failed)─────┘

While open, no call reaches the partner: the caller gets `PartnerCircuitOpen` at once. After the cool-down
one trial call goes through; its outcome closes or reopens the breaker, and the calls that arrive while it is
in flight are refused as if the breaker were still open.

The state machine is purgatory's (`AsyncCircuitBreakerFactory`), chosen over the other libraries on PyPI:
it is asyncio-native, typed (`py.typed`) and maintained (3.x, 2024), keeps its breakers per factory (one
factory per `PartnerSet`, so two hubs in one process, as in the tests, never share a breaker). Replicas
share their partners' failures and open state through Redis where it is configured
(`hub.federation.shared_breakers`, on top of this process's breaker: purgatory's own Redis store has no
timeouts and would make Redis a dependency of every partner call). `circuitbreaker` 2.x is decorator-first,
untyped, and registers breakers in a process-global monitor by name; `pybreaker` supports async calls only
through Tornado; `aiobreaker` (an asyncio port of pybreaker) has had no release since 2021.

Two rules are added on top of purgatory's:
- Only partner failures count. The breaker is told the outcome of a call only when it succeeded or failed
  with a `PartnerError` (timeout, unavailable, bad response). A call that was cancelled (the caller went
  away) says nothing about the partner, and purgatory would count it as a success, closing a half-open
  breaker on no evidence: such a call is not reported at all. Bad input never reaches a partner: the schema
  refuses it before any call is made.
- One trial at a time. purgatory lets every call through while half-open; here only one is.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OpenedState

from connectors.errors import PartnerCircuitOpen, PartnerError
from hub.federation.shared_breakers import SharedBreakers

if TYPE_CHECKING:  # what the factory hands out; purgatory does not export its name
    from purgatory.service._async.circuitbreaker import AsyncCircuitBreaker

__all__ = ["Breaker", "BreakerSnapshot", "BreakerState"]

T = TypeVar("T")


class BreakerState(enum.StrEnum):
    """A breaker's state as the next call would meet it."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(frozen=True)
class BreakerSnapshot:
    """One breaker at one moment, for the `partners` field and `/readyz`."""

    state: BreakerState
    #: Failed calls since the last success.
    recent_failures: int
    last_failure_at: datetime | None
    last_failure_outcome: str | None
    last_error: str | None
    #: While open: when the next trial call will be let through.
    trial_at: datetime | None


class Breaker:
    """One partner's circuit breaker. `run` calls through it; `snapshot` reports it."""

    def __init__(
        self,
        factory: AsyncCircuitBreakerFactory,
        partner: str,
        threshold: int,
        cooldown: float,
        shared: SharedBreakers | None = None,
    ):
        self.partner, self.threshold, self.cooldown = partner, threshold, cooldown
        #: The replicas' shared state (`hub.federation.shared_breakers`), where Redis is configured.
        self.shared = shared
        self._factory = factory
        self._breaker: AsyncCircuitBreaker | None = None
        self._trial_in_flight = False
        self._failures = 0
        #: (when, outcome, message) of the last failure; not the exception, which holds its request alive.
        self._last_failure: tuple[float, str, str] | None = None

    async def _get(self) -> AsyncCircuitBreaker:
        # Made on first use: purgatory's factory is asynchronous, and a hub may be built outside a loop.
        if self._breaker is None:
            self._breaker = await self._factory.get_breaker(self.partner, self.threshold, self.cooldown)
        return self._breaker

    def _opened_at(self) -> float | None:
        """When the breaker opened (time.time()), if it is open now: this process's, or the replicas'
        shared one, whichever opened last."""
        shared = self.shared.last_opened_at(self.partner) if self.shared is not None else None
        if shared is not None and time.time() >= shared + self.cooldown:
            shared = None
        breaker = self._breaker
        if breaker is None or breaker.context.state != "opened":
            return shared
        own = breaker.context.opened_at
        return max(own, shared) if own is not None and shared is not None else (own or shared)

    @property
    def state(self) -> BreakerState:
        breaker = self._breaker
        opened_at = self._opened_at()  # this process's, or the replicas' shared one
        if (breaker is None or breaker.context.state == "closed") and opened_at is None:
            return BreakerState.CLOSED
        if opened_at is not None and time.time() < opened_at + self.cooldown:
            return BreakerState.OPEN
        # Half-open, or open with the cool-down over: the next call is a trial, unless one is in flight.
        return BreakerState.OPEN if self._trial_in_flight else BreakerState.HALF_OPEN

    def _refusal(self) -> PartnerCircuitOpen:
        opened_at = self._opened_at()
        wait = (
            f"; next trial in {max(0.0, opened_at + self.cooldown - time.time()):.1f}s" if opened_at else ""
        )
        return PartnerCircuitOpen(self.partner, f"its circuit breaker is open after repeated failures{wait}")

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()` through the breaker, or `PartnerCircuitOpen` without calling it."""
        breaker = self._breaker or await self._get()
        if self.shared is not None:  # opened by the replicas together: refused here too
            opened_at = await self.shared.opened_at(self.partner)
            if opened_at is not None and time.time() < opened_at + self.cooldown:
                raise self._refusal()
        trial = breaker.context.state != "closed"
        if trial and self.state is not BreakerState.HALF_OPEN:
            raise self._refusal()
        try:
            await breaker.__aenter__()  # closed: nothing; open past its cool-down: half-open
        except OpenedState:  # not reached (checked above); kept so purgatory's own refusal stays ours
            raise self._refusal() from None
        self._trial_in_flight = trial
        try:
            result = await call()
        except PartnerError as exc:
            self._failures += 1
            self._last_failure = (time.time(), exc.outcome, exc.public_detail)
            await breaker.__aexit__(type(exc), exc, exc.__traceback__)
            if self.shared is not None:
                await self.shared.failed(self.partner, self.threshold, self.cooldown)
            raise
        else:
            self._failures = 0
            await breaker.__aexit__(None, None, None)
            if self.shared is not None:
                await self.shared.succeeded(self.partner)
            return result
        finally:
            if trial:
                self._trial_in_flight = False

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        opened_at = self._opened_at()
        at, outcome, message = self._last_failure or (None, None, None)
        return BreakerSnapshot(
            state=state,
            recent_failures=self._failures,
            last_failure_at=datetime.fromtimestamp(at, UTC) if at is not None else None,
            last_failure_outcome=outcome,
            last_error=message,
            trial_at=(
                datetime.fromtimestamp(opened_at + self.cooldown, UTC)
                if state is BreakerState.OPEN and opened_at is not None
                else None
            ),
        )
