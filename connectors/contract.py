"""The connector contract: what the hub needs from one partner system.

The hub depends only on `Connector`, a `typing.Protocol`. Connector authors subclass `BaseConnector`, which
supplies the lifecycle (`async with`, `aclose()`), the configuration plumbing and a `CapabilityNotSupported`
answer for every capability the connector does not declare in `capabilities`.

Batch methods take the partner's own record ids and return a mapping from each id the partner knows to its
records; ids the partner does not know are simply absent. They raise only `connectors.errors` exceptions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

from connectors.canonical import (
    CustodyRecord,
    IntelligenceReport,
    PersonRecord,
    SafeguardingConcern,
    SearchCriteria,
    WarningMarker,
)
from connectors.errors import CapabilityNotSupported, ConnectorConfigError

__all__ = ["DEFAULT_TIMEOUT", "BaseConnector", "Capability", "Connector", "PartnerConfig"]

#: Seconds the hub waits for one partner call unless the partner's configuration says otherwise.
DEFAULT_TIMEOUT = 5.0


class Capability(enum.StrEnum):
    """What a partner may be asked. Declared by the connector, narrowed by configuration."""

    SEARCH = "search"
    PEOPLE = "people"
    MARKERS = "markers"
    INTELLIGENCE = "intelligence"
    CUSTODY = "custody"
    SAFEGUARDING = "safeguarding"


@dataclass(frozen=True)
class PartnerConfig:
    """One partner, as configured in the partners file (TOML `[[partners]]`)."""

    name: str
    kind: str
    title: str = ""
    timeout: float = DEFAULT_TIMEOUT
    max_batch_size: int = 100
    #: Failed calls in a row (each after its retries) that open the hub's circuit breaker for the partner.
    breaker_threshold: int = 5
    #: Seconds the breaker stays open before it lets one trial call through (half-open).
    breaker_cooldown: float = 30.0
    #: Attempts per idempotent read, the first included (1: never retry), all within `timeout`.
    retry_attempts: int = 2
    #: Upper bound of the first retry's random wait in seconds; it doubles per retry (full jitter).
    retry_backoff: float = 0.05
    #: Most calls to the partner in flight at once from one hub process; more wait (within `timeout`).
    max_concurrent_calls: int = 20
    connection: Mapping[str, Any] = field(default_factory=dict)
    mapping: Mapping[str, Any] = field(default_factory=dict)
    #: If set, the partner is asked only for these capabilities (a sharing agreement may be narrower than
    #: what the system can do).
    capabilities: frozenset[Capability] | None = None
    #: Whom a caller should contact about this partner's records (shown by the hit / no-hit query).
    contact: str = ""

    @property
    def display_name(self) -> str:
        return self.title or self.name

    def require(self, key: str) -> Any:
        """The connection setting `key`, or a `ConnectorConfigError` that names the partner and the key."""
        value = self.connection.get(key)
        if value in (None, ""):
            raise ConnectorConfigError(
                f"Partner '{self.name}' (kind '{self.kind}') needs 'connection.{key}' in the partners file."
            )
        return value


@runtime_checkable
class Connector(Protocol):
    """What the hub needs from a partner system. See the module docstring for the batch semantics."""

    name: str
    title: str
    capabilities: frozenset[Capability]

    async def open(self) -> None: ...

    async def aclose(self) -> None: ...

    async def health(self) -> None:
        """Return if the partner answers; raise a `PartnerError` if it does not."""

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]: ...

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]: ...

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, list[WarningMarker]]: ...

    async def get_intelligence(self, ids: Sequence[str]) -> Mapping[str, list[IntelligenceReport]]: ...

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]: ...

    async def get_safeguarding(self, ids: Sequence[str]) -> Mapping[str, list[SafeguardingConcern]]: ...


class BaseConnector:
    """Defaults for connector authors: lifecycle, configuration and unsupported capabilities.

    Subclasses set `kind` and `supported`, build their clients in `open()` and release them in `aclose()`.
    """

    kind: ClassVar[str] = ""
    supported: ClassVar[frozenset[Capability]] = frozenset()

    def __init__(self, config: PartnerConfig) -> None:
        self.config = config
        self.name = config.name
        self.title = config.display_name
        wanted = config.capabilities if config.capabilities is not None else self.supported
        unknown = wanted - self.supported
        if unknown:
            raise ConnectorConfigError(
                f"Partner '{config.name}': kind '{config.kind}' cannot offer "
                f"{sorted(c.value for c in unknown)}; it offers {sorted(c.value for c in self.supported)}."
            )
        self.capabilities: frozenset[Capability] = frozenset(wanted)

    @classmethod
    def from_config(cls, config: PartnerConfig) -> Self:
        return cls(config)

    async def open(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def health(self) -> None:
        return None

    def _unsupported(self, capability: Capability) -> CapabilityNotSupported:
        return CapabilityNotSupported(f"Partner '{self.name}' does not offer '{capability.value}'.")

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        raise self._unsupported(Capability.SEARCH)

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]:
        raise self._unsupported(Capability.PEOPLE)

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, list[WarningMarker]]:
        raise self._unsupported(Capability.MARKERS)

    async def get_intelligence(self, ids: Sequence[str]) -> Mapping[str, list[IntelligenceReport]]:
        raise self._unsupported(Capability.INTELLIGENCE)

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]:
        raise self._unsupported(Capability.CUSTODY)

    async def get_safeguarding(self, ids: Sequence[str]) -> Mapping[str, list[SafeguardingConcern]]:
        raise self._unsupported(Capability.SAFEGUARDING)
