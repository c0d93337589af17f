"""The configured partners of one hub process: their connectors, opened and closed with the app, and their
guards (circuit breaker, retry policy, concurrency cap), which live as long as the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator

from purgatory import AsyncCircuitBreakerFactory

from connectors.contract import Connector, PartnerConfig
from connectors.errors import ConnectorConfigError
from connectors.registry import build
from hub.federation.breaker import BreakerState
from hub.federation.resilience import PartnerGuard
from hub.federation.shared_breakers import SharedBreakers

__all__ = ["PartnerSet"]

log = logging.getLogger(__name__)


class PartnerSet:
    """Every partner's connector and guard, by name, in configuration order."""

    def __init__(self, configs: Iterable[PartnerConfig], shared: SharedBreakers | None = None) -> None:
        self.configs = {c.name: c for c in configs}
        self.connectors: dict[str, Connector] = {}
        problems = []
        for name, config in self.configs.items():  # every partner's problem, not only the first one's
            try:
                self.connectors[name] = build(config)
            except ConnectorConfigError as exc:
                problems.append(f"partner '{name}': {exc}")
        if problems:
            raise ConnectorConfigError("\n".join(problems))
        # One breaker factory per partner set: breakers are per hub process, never shared between two hubs.
        breakers = AsyncCircuitBreakerFactory()
        #: The breakers' state shared with other replicas (Redis), if any.
        self.shared = shared
        self.guards = {name: PartnerGuard(c, breakers, shared) for name, c in self.configs.items()}

    def __iter__(self) -> Iterator[Connector]:
        return iter(self.connectors.values())

    def __len__(self) -> int:
        return len(self.connectors)

    def get(self, name: str) -> Connector | None:
        return self.connectors.get(name)

    def breaker_states(self) -> dict[str, BreakerState]:
        """Each partner's circuit breaker state now, in configuration order."""
        return {name: guard.breaker.state for name, guard in self.guards.items()}

    async def open(self) -> None:
        await asyncio.gather(*(c.open() for c in self))

    async def aclose(self) -> None:
        results = await asyncio.gather(*(c.aclose() for c in self), return_exceptions=True)
        if self.shared is not None:
            await self.shared.aclose()
        for connector, result in zip(self, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("closing partner %s failed: %r", connector.name, result)
