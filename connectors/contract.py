"""The connector contract: what the hub needs from one partner system.

The hub depends only on `Connector`, a `typing.Protocol`. Connector authors subclass `BaseConnector`, which
supplies the lifecycle (`async with`, `aclose()`), the configuration plumbing and a `CapabilityNotSupported`
answer for every capability the connector does not declare in `capabilities`.

Batch methods take the partner's own record ids and return a mapping from each id the partner knows to its
records; ids the partner does not know are simply absent. They raise only `connectors.errors` exceptions.

`fetch` is what the hub calls: several record kinds at once, each with its own ids, so that a partner whose
protocol allows it answers a person and everything held on them in one call (one GraphQL document, one SQL
round trip, one REST request with `include=`). `BaseConnector.fetch` falls back on the per-kind methods,
called concurrently, so a connector need only override it where its partner can do better.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

from connectors._calls import all_or_none
from connectors.canonical import (
    CustodyRecord,
    IntelligenceReport,
    PersonRecord,
    SafeguardingConcern,
    SearchCriteria,
    WarningMarker,
)
from connectors.errors import CapabilityNotSupported, ConnectorConfigError

__all__ = [
    "DEFAULT_TIMEOUT",
    "RECORD_KINDS",
    "BaseConnector",
    "Capability",
    "Change",
    "ChangePage",
    "Connector",
    "Fetched",
    "FetchingConnector",
    "PartnerConfig",
    "Wanted",
]

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
    #: A feed of what the partner newly records (`changes`): what watches on people are told of.
    CHANGES = "changes"


@dataclass(frozen=True)
class Change:
    """One record the partner added or changed: its kind, its id, and the partner's id of the person."""

    kind: Capability
    person_record_id: str
    record_id: str


@dataclass(frozen=True)
class ChangePage:
    """Changes in the partner's order, and the cursor to ask from next (opaque to the hub, kept by it)."""

    changes: list[Change]
    cursor: str


#: The record kinds fetched by id, each with the per-kind batch method that answers it alone.
RECORD_KINDS: Mapping[Capability, str] = {
    Capability.PEOPLE: "get_people",
    Capability.MARKERS: "get_markers",
    Capability.INTELLIGENCE: "get_intelligence",
    Capability.CUSTODY: "get_custody",
    Capability.SAFEGUARDING: "get_safeguarding",
}
#: What `fetch` is asked for: per record kind, the partner's ids whose records of that kind are wanted.
Wanted = Mapping[Capability, Sequence[str]]
#: What `fetch` answers: per record kind asked for, each known id's records (a `PersonRecord` for people,
#: a list for the other kinds); unknown ids are absent, as in the per-kind methods.
Fetched = Mapping[Capability, Mapping[str, Any]]


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
    #: Seconds between two reads of the partner's change feed, for watches (0: never read).
    poll_interval: float = 5.0
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

    async def fetch(self, wanted: Wanted) -> Fetched:
        """Several record kinds in one call where the partner allows it; see the module docstring."""

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]: ...

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, list[WarningMarker]]: ...

    async def get_intelligence(self, ids: Sequence[str]) -> Mapping[str, list[IntelligenceReport]]: ...

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]: ...

    async def get_safeguarding(self, ids: Sequence[str]) -> Mapping[str, list[SafeguardingConcern]]: ...

    async def changes(self, since: str | None, limit: int) -> ChangePage:
        """What the partner recorded after the cursor `since`, at most `limit` changes; `since=None` asks
        only for the cursor of now, where a new reader starts (no history is replayed)."""


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

    async def fetch(self, wanted: Wanted) -> Fetched:
        """Each kind wanted through its own batch method, all at once: one call per kind.

        Override it where the partner can answer several kinds in one request. A kind the connector does
        not offer raises `CapabilityNotSupported`; if one kind fails, the others are cancelled and the
        failure raised, so the hub never passes on half of a call.
        """
        self._require(wanted, among=RECORD_KINDS)
        asked = [kind for kind, ids in wanted.items() if ids]
        answers = await all_or_none([getattr(self, RECORD_KINDS[kind])(wanted[kind]) for kind in asked])
        return dict(zip(asked, answers, strict=True))

    def _require(
        self, kinds: Iterable[Capability], among: Collection[Capability] = tuple(Capability)
    ) -> None:
        """Raise `CapabilityNotSupported` for the first of `kinds` the connector does not offer, or that is
        not one of `among` (a record kind, for a fetch)."""
        for kind in kinds:
            if kind not in self.capabilities or kind not in among:
                raise self._unsupported(kind)

    def _withdraw(self, capability: Capability, needs: str) -> None:
        """Offer `capability` no more, because the partner's configuration lacks `needs`: a configuration
        that asks for it explicitly (`capabilities = [...]`) is an error saying so."""
        asked = self.config.capabilities
        if asked is not None and capability in asked:
            raise ConnectorConfigError(
                f"Partner '{self.name}' (kind '{self.config.kind}'): '{capability.value}' needs {needs}."
            )
        self.capabilities = self.capabilities - {capability}

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

    async def changes(self, since: str | None, limit: int) -> ChangePage:
        raise self._unsupported(Capability.CHANGES)


class FetchingConnector(BaseConnector):
    """For a partner that answers several kinds of record in one request: override `fetch`, and each
    per-kind method asks it for its one kind (so every path to the partner is the same code)."""

    async def fetch(self, wanted: Wanted) -> Fetched:
        raise NotImplementedError(f"{type(self).__name__} must implement fetch()")

    async def _one(self, kind: Capability, ids: Sequence[str]) -> Mapping[str, Any]:
        return (await self.fetch({kind: ids})).get(kind, {})

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]:
        return await self._one(Capability.PEOPLE, ids)

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, list[WarningMarker]]:
        return await self._one(Capability.MARKERS, ids)

    async def get_intelligence(self, ids: Sequence[str]) -> Mapping[str, list[IntelligenceReport]]:
        return await self._one(Capability.INTELLIGENCE, ids)

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]:
        return await self._one(Capability.CUSTODY, ids)

    async def get_safeguarding(self, ids: Sequence[str]) -> Mapping[str, list[SafeguardingConcern]]:
        return await self._one(Capability.SAFEGUARDING, ids)
