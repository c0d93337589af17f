"""Circuit breakers shared by every replica, through Redis (HUB_REDIS_URL).

Each hub process keeps its own breaker per partner (`hub.federation.breaker`). Behind a proxy with several
replicas, a partner that fails would otherwise need `breaker_threshold` failures at every replica before all
of them stop calling it, and a replica that just started would call it again at once. With Redis, the
replicas also share:

- the partner's failures in a row: every replica's failed call counts (INCR), any success resets it;
- the partner's open state: when the shared count reaches the threshold, the breaker opens for every
  replica for the cool-down (a key that expires after it), and each replica refuses calls meanwhile
  (PartnerCircuitOpen, as its own breaker would). After the cool-down each replica's next call is a trial.

A replica reads the shared state of a healthy partner at most every `refresh_seconds` (0.25 s), so that
calls to it cost no Redis round trip each; a partner with failures counted, or open, is read on every call.
Redis is a help here, never a dependency: if it cannot be asked, the replica logs it once and goes on with its
own breakers alone, leaving Redis alone for `retry_seconds` (5 s), so that no partner call waits on a Redis
that is down.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

__all__ = ["SharedBreakers"]

log = logging.getLogger(__name__)


class SharedBreakers:
    """The breakers' shared state in Redis.

    Args:
        url: Redis (`redis://host:port/db`).
        timeout: Longest wait for Redis on one operation.
        refresh_seconds: How long a replica trusts the shared state it last read.
        retry_seconds: How long Redis is left alone after it failed.
    """

    def __init__(
        self, url: str, timeout: float = 0.5, refresh_seconds: float = 0.25, retry_seconds: float = 5.0
    ) -> None:
        self.pool = ConnectionPool.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.redis = Redis(connection_pool=self.pool)
        self.refresh_seconds = refresh_seconds
        #: partner -> (when read, time.time() the shared breaker opened at or None, failures in a row)
        self._seen: dict[str, tuple[float, float | None, int]] = {}
        #: Until when (time.monotonic()) Redis is left alone after it failed: no partner call waits on it.
        self._down_until = 0.0
        self.retry_seconds = retry_seconds

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, what: str, partner: str, exc: RedisError) -> None:
        if self._available():  # once per outage, not once per call
            log.warning(
                "shared breaker state of %s not %s; own breakers only for %gs: %s",
                partner,
                what,
                self.retry_seconds,
                exc,
            )
        self._down_until = time.monotonic() + self.retry_seconds

    @staticmethod
    def _keys(partner: str) -> tuple[str, str]:
        return f"hub-breaker:{partner}:opened-at", f"hub-breaker:{partner}:failures"

    async def opened_at(self, partner: str) -> float | None:
        """When the partner's shared breaker opened (time.time()), if it is open now; None if not, or if
        Redis cannot be asked."""
        now = time.monotonic()
        seen = self._seen.get(partner)
        # A healthy partner's state is trusted for `refresh_seconds`; one failing or open is read every call.
        if seen is not None and seen[1] is None and seen[2] == 0 and now - seen[0] < self.refresh_seconds:
            return None
        if not self._available():
            return None
        try:
            value, failures = await self.redis.mget(self._keys(partner))
        except RedisError as exc:
            self._failed("read", partner, exc)
            value, failures = None, None
        opened_at = float(value) if value is not None else None
        self._seen[partner] = (now, opened_at, int(failures or 0))
        return opened_at

    def last_opened_at(self, partner: str) -> float | None:
        """What `opened_at` last read, without asking Redis (for reports)."""
        seen = self._seen.get(partner)
        return seen[1] if seen is not None else None

    async def failed(self, partner: str, threshold: int, cooldown: float) -> None:
        """Count a failed call; open the breaker for everyone if it was the threshold's."""
        if not self._available():
            return
        opened, failures = self._keys(partner)
        try:
            count = await self.redis.incr(failures)
            await self.redis.expire(failures, max(1, int(cooldown * 4)))  # a stale count dies out
            if count >= threshold:
                now = time.time()
                await self.redis.set(opened, repr(now), px=max(1, int(cooldown * 1000)))
                await self.redis.delete(failures)
                self._seen[partner] = (time.monotonic(), now, 0)
            else:
                self._seen[partner] = (time.monotonic(), None, count)
        except RedisError as exc:
            self._failed("updated", partner, exc)

    async def succeeded(self, partner: str) -> None:
        """A call succeeded: the failures in a row, and a shared open state, are over. (Nothing to tell
        Redis, and no round trip, when the state last read held no failures.)"""
        seen = self._seen.get(partner)
        if (seen is not None and seen[1] is None and seen[2] == 0) or not self._available():
            return
        try:
            await self.redis.delete(*self._keys(partner))
            self._seen.pop(partner, None)
        except RedisError as exc:
            self._failed("reset", partner, exc)

    async def aclose(self) -> None:
        await self.pool.disconnect()
