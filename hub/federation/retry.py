"""Retrying a partner call: only an idempotent read, only after a retriable failure, only within its deadline.

A call is retried when all of these hold:
- the call site declared it idempotent (every connector read is; a call that changes anything at a partner
  must say `idempotent=False`, and is then made exactly once);
- it failed in a way that may not happen again at once: `PartnerError.retriable` (refused or reset
  connections, 5xx answers, a timeout of one attempt); never a bad response, which would come back the same;
- attempts are left (`retry_attempts`, the first included) and the random backoff still ends before the
  partner's timeout, which bounds all attempts together (the caller also enforces it with `asyncio.timeout`).

The backoff is tenacity's `wait_random_exponential` ("full jitter"): the n-th retry waits a random time
between 0 and `retry_backoff * 2**(n-1)`, so the retries of many requests to a partner that has just come back
do not arrive together.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from connectors.errors import PartnerError

__all__ = ["RetryPolicy", "is_retriable"]

T = TypeVar("T")


def is_retriable(exc: BaseException) -> bool:
    """Whether a failed attempt may succeed if made again at once (never a cancellation or a defect)."""
    return isinstance(exc, PartnerError) and exc.retriable


class RetryPolicy:
    """One partner's retry policy, made once per hub process."""

    def __init__(self, attempts: int, backoff: float) -> None:
        self.attempts = attempts
        self._stop = stop_after_attempt(attempts)
        self._template = AsyncRetrying(
            stop=self._stop,
            wait=wait_random_exponential(multiplier=backoff),
            retry=retry_if_exception(is_retriable),
            reraise=True,  # the caller sees the last attempt's own PartnerError, not tenacity's RetryError
        )

    async def run(self, attempt: Callable[[], Awaitable[T]], *, idempotent: bool, budget: float) -> T:
        """`attempt()`, made again while the rules above allow, within `budget` seconds from now."""
        if not idempotent or self.attempts == 1:
            return await attempt()
        started = time.monotonic()
        try:
            # Most calls succeed at once: they should not pay for tenacity's machinery (tens of microseconds
            # a call), so the first attempt is made here and tenacity only takes over once it has failed.
            return await attempt()
        except BaseException as exc:
            if not is_retriable(exc):
                raise
            first: BaseException | None = exc

        async def replayed_then_again() -> T:
            # tenacity's first attempt replays the failure just seen, so that its counting, backoff and
            # stopping rules apply to the whole call exactly as if it had made every attempt itself.
            nonlocal first
            if first is not None:
                failure, first = first, None
                raise failure
            return await attempt()

        # tenacity keeps a call's progress on the AsyncRetrying object, so each call runs on a copy of the
        # partner's template (as tenacity's own decorator does); the copy only shares the strategies.
        remaining = budget - (time.monotonic() - started)
        retrying = self._template.copy(stop=self._stop | stop_before_delay(remaining))
        return cast(T, await retrying(replayed_then_again))
