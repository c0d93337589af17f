"""Everything that stands between the engine and one partner call: breaker, deadline, retries, slots.

    breaker ─> deadline (the partner's timeout) ─> retries ─> a slot (max_concurrent_calls) ─> the connector

The circuit breaker decides first, so a call to a partner whose breaker is open costs nothing and waits for
nothing. The deadline bounds everything after it, retries and their backoff and the wait for a slot included,
so a partner call never takes longer than the partner's timeout. Each attempt holds a slot only while it runs,
not while it backs off. A guard lives as long as the hub process (one per partner, in the `PartnerSet`); what
one call needs is made per call, and is small.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from purgatory import AsyncCircuitBreakerFactory

from connectors.contract import PartnerConfig
from connectors.errors import PartnerBadResponse, PartnerError, PartnerTimeout
from hub.federation.breaker import Breaker
from hub.federation.retry import RetryPolicy
from hub.federation.shared_breakers import SharedBreakers

__all__ = ["Attempts", "PartnerGuard"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class Attempts:
    """How many attempts of one call reached the partner (the ledger's `calls`)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class PartnerGuard:
    """One partner's breaker, retry policy and concurrency cap, for the life of the hub process."""

    def __init__(
        self,
        config: PartnerConfig,
        breakers: AsyncCircuitBreakerFactory,
        shared: SharedBreakers | None = None,
    ) -> None:
        self.partner = config.name
        self.timeout = config.timeout
        self.max_concurrent_calls = config.max_concurrent_calls
        self.breaker = Breaker(
            breakers, config.name, config.breaker_threshold, config.breaker_cooldown, shared
        )
        self.retry = RetryPolicy(config.retry_attempts, config.retry_backoff)
        self._slots = asyncio.Semaphore(config.max_concurrent_calls)

    async def call(
        self, kind: str, call: Callable[[], Awaitable[T]], *, idempotent: bool, attempts: Attempts
    ) -> T:
        """`call()` under every rule above; raises only `PartnerError` (or the caller's cancellation).

        `attempts` counts the attempts that reached the partner, whether the call succeeds or not.
        """

        async def attempt() -> T:
            async with self._slots:
                attempts.count += 1
                try:
                    return await call()
                except PartnerError:
                    raise
                except TimeoutError:
                    raise PartnerTimeout(self.partner, f"{kind}: no answer in time") from None
                except Exception as exc:
                    # A connector defect must cost only this partner's records, never the whole answer.
                    log.exception("connector %s failed on %s", self.partner, kind)
                    raise PartnerBadResponse(
                        self.partner, f"the connector failed ({type(exc).__name__})", retriable=False
                    ) from exc

        async def bounded() -> T:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self.retry.run(attempt, idempotent=idempotent, budget=self.timeout)
            except TimeoutError:
                raise PartnerTimeout(self.partner, f"no answer within {self.timeout:g}s") from None

        return await self.breaker.run(bounded)
