"""The configured partners of one hub process: their connectors, opened and closed with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator

from connectors.contract import Connector, PartnerConfig
from connectors.registry import build

__all__ = ["PartnerSet"]

log = logging.getLogger(__name__)


class PartnerSet:
    """Every partner's connector, by name, in configuration order."""

    def __init__(self, configs: Iterable[PartnerConfig]) -> None:
        self.configs = {c.name: c for c in configs}
        self.connectors: dict[str, Connector] = {name: build(c) for name, c in self.configs.items()}

    def __iter__(self) -> Iterator[Connector]:
        return iter(self.connectors.values())

    def __len__(self) -> int:
        return len(self.connectors)

    def get(self, name: str) -> Connector | None:
        return self.connectors.get(name)

    async def open(self) -> None:
        await asyncio.gather(*(c.open() for c in self))

    async def aclose(self) -> None:
        results = await asyncio.gather(*(c.aclose() for c in self), return_exceptions=True)
        for connector, result in zip(self, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("closing partner %s failed: %r", connector.name, result)
