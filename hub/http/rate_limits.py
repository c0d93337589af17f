"""Rate limits: how often a client, and all the clients of one organisation, may ask the hub.

Counted with the `limits` library's moving window (exact: never more requests than the limit in any window of
its length), in this process's memory by default, or in Redis where HUB_REDIS_URL is set, so that every
replica draws on one budget. Each request to `/graphql` counts against:

- its client: the client's own limits (`hub clients add --rate-limit "20/second;1000/hour"`), else
  HUB_RATE_LIMIT;
- its organisation: HUB_ORGANISATION_RATE_LIMIT, over all that organisation's clients together;
- a caller without a token: HUB_ANONYMOUS_RATE_LIMIT, per address.

Requests to the token endpoint (`/oauth/token`, each a deliberately slow scrypt check of a secret) count
against HUB_TOKEN_RATE_LIMIT per address.

A request over a limit is refused with 429 RATE_LIMITED and `Retry-After` (whole seconds until the window
lets one more through) before its document is even parsed: no partner is asked. Like every request, it is
audited. If Redis cannot be asked (down, or slower than HUB_REDIS_TIMEOUT_SECONDS), the request is refused
with 503 RATE_LIMITS_UNAVAILABLE, unless HUB_RATE_LIMIT_FAIL_OPEN lets it through (and logs that it did).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool
from starlette.requests import Request

from hub.auth.principal import Principal
from hub.config.settings import HubSettings
from hub.errors import RATE_LIMITED, RATE_LIMITS_UNAVAILABLE, RequestRefused

__all__ = ["RateLimits", "client_address"]

log = logging.getLogger(__name__)


def client_address(request: Request) -> str:
    """The caller's address, the key of limits without a client (behind a proxy: `--proxy-headers`)."""
    return request.client.host if request.client is not None else ""


@lru_cache(maxsize=1024)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    """The limits a text names ("20/second;1000/hour"), parsed once per distinct text."""
    return tuple(parse_many(text))


@dataclass(frozen=True)
class _Budget:
    """One thing a request counts against: what it is called in messages, its key, and its limits."""

    what: str
    key: tuple[str, ...]
    items: tuple[RateLimitItem, ...]


class RateLimits:
    """The hub's rate limits, in memory or in Redis (`settings.redis_url`)."""

    def __init__(self, settings: HubSettings) -> None:
        self.settings = settings
        self.storage: Storage
        self.pool: ConnectionPool | None = None
        if settings.redis_url:
            timeout = settings.redis_timeout_seconds
            # The hub's own pool, so that it can close its connections when it stops.
            self.pool = ConnectionPool.from_url(
                settings.redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
            )
            self.storage = RedisStorage(
                "async+" + settings.redis_url,
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix="hub-rate",
                connection_pool=self.pool,  # type: ignore[arg-type]  # passed on to redis.asyncio.Redis
            )
        else:
            self.storage = MemoryStorage()
        self.limiter = MovingWindowRateLimiter(self.storage)
        # Checked at start (`hub.config.check`): these parse.
        self.client_default = _items(settings.rate_limit)
        self.organisation = _items(settings.organisation_rate_limit)
        self.anonymous = _items(settings.anonymous_rate_limit)
        self.token_requests = _items(settings.token_rate_limit)

    def budgets(self, principal: Principal, address: str) -> list[_Budget]:
        """What a request by `principal` from `address` counts against."""
        if not principal.authenticated:
            return [
                _Budget("requests without a token from this address", ("anonymous", address), self.anonymous)
            ]
        own = principal.limits.rate_limit
        return [
            _Budget(
                f"client {principal.client_id}",
                ("client", principal.client_id or ""),
                _items(own) if own is not None else self.client_default,
            ),
            _Budget(
                f"organisation {principal.organisation}",
                ("organisation", principal.organisation or ""),
                self.organisation,
            ),
        ]

    async def hit(self, principal: Principal, address: str) -> None:
        """Count one request to `/graphql`.

        Raises:
            RequestRefused: RATE_LIMITED (with `headers` holding Retry-After) when it is over a limit;
                RATE_LIMITS_UNAVAILABLE when the counts cannot be kept and the hub fails closed.
        """
        await self._hit(self.budgets(principal, address))

    async def hit_token_request(self, address: str) -> None:
        """Count one request to the token endpoint from `address` (each costs a deliberately slow secret
        check: a flood of them must not take the hub's CPU).

        Raises:
            as `hit`.
        """
        what = "token requests from this address"
        await self._hit([_Budget(what, ("token", address), self.token_requests)])

    async def _hit(self, budgets: list[_Budget]) -> None:
        try:
            for budget in budgets:
                for item in budget.items:
                    if not await self.limiter.hit(item, *budget.key):
                        stats = await self.limiter.get_window_stats(item, *budget.key)
                        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                        refused = RequestRefused(
                            RATE_LIMITED,
                            f"Too many requests: the limit of {budget.what} is {item.amount} per "
                            f"{_window(item)}. Retry after {retry_after} s.",
                            limit=f"{item.amount}/{_window(item)}",
                            retryAfter=retry_after,
                        )
                        refused.headers = {"Retry-After": str(retry_after)}
                        raise refused
        except StorageError as exc:
            if self.settings.rate_limit_fail_open:
                log.warning("rate limits not counted (HUB_RATE_LIMIT_FAIL_OPEN): %s", exc.storage_error)
                return
            log.error("rate limits cannot be counted; refusing requests: %s", exc.storage_error)
            raise RequestRefused(
                RATE_LIMITS_UNAVAILABLE,
                "The hub cannot count requests against their rate limits now; try again shortly.",
            ) from None

    async def ready(self) -> bool:
        """Whether the counts can be kept now (for `/readyz`)."""
        try:
            return bool(await self.storage.check())
        except Exception:  # the storage's own failure, whatever the client library raises
            return False

    async def aclose(self) -> None:
        """Close the connections to Redis, if any."""
        if self.pool is not None:
            await self.pool.disconnect()

    async def reset(self) -> None:
        """Forget every count (tests, and an operator's recovery)."""
        await self.storage.reset()


def _window(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"
