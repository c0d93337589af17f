"""Connector kinds by name: the built-ins and third parties' through the `hub.connectors` entry points.

A kind is a class with `from_config(PartnerConfig)` (in practice a `BaseConnector` subclass). Packages add
kinds by declaring, in their own pyproject.toml:

    [project.entry-points."hub.connectors"]
    niche = "acme_niche.connector:NicheConnector"

Tests and embedding code call `register()` instead. Unknown and duplicate names are refused at once, with a
message naming them.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol

from connectors.contract import Connector, PartnerConfig
from connectors.errors import ConnectorConfigError

__all__ = ["ENTRY_POINT_GROUP", "ConnectorKind", "KindInfo", "build", "describe", "kinds", "register"]

ENTRY_POINT_GROUP = "hub.connectors"


class ConnectorKind(Protocol):
    def from_config(self, config: PartnerConfig, /) -> Connector: ...


_registered: dict[str, ConnectorKind] = {}


def register(name: str, kind: ConnectorKind) -> None:
    """Add a connector kind in process. Refuses a name that is already a kind."""
    if name in kinds():
        raise ConnectorConfigError(f"Connector kind '{name}' is already registered.")
    _registered[name] = kind


def _entry_points() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _package(ep: EntryPoint) -> str:
    return ep.dist.metadata["Name"] if ep.dist is not None else "unknown"


def _duplicate(name: str) -> str | None:
    """Why `name` cannot be used if more than one installed package declares it, else None."""
    declared = {(ep.value, _package(ep)) for ep in entry_points(group=ENTRY_POINT_GROUP, name=name)}
    if len(declared) < 2:
        return None
    which = ", ".join(f"{package} ({target})" for target, package in sorted(declared))
    return (
        f"Connector kind '{name}' is declared by more than one installed package: {which}. "
        "Uninstall all but one, or give each kind its own name."
    )


def kinds() -> list[str]:
    """Every kind that can be configured: entry points and in-process registrations."""
    return sorted(set(_entry_points()) | set(_registered))


def _load(name: str) -> ConnectorKind:
    if name in _registered:
        return _registered[name]
    duplicate = _duplicate(name)
    if duplicate is not None:
        raise ConnectorConfigError(duplicate)
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        kind: ConnectorKind = ep.load()
        return kind
    raise ConnectorConfigError(
        f"Unknown connector kind '{name}'. Known kinds: {', '.join(kinds()) or 'none'}."
    )


def build(config: PartnerConfig) -> Connector:
    """A connector for one configured partner (not yet opened)."""
    return _load(config.kind).from_config(config)


@dataclass(frozen=True)
class KindInfo:
    """What an integration team needs to know of an installed kind."""

    name: str
    #: Where it is defined: `module:Class`.
    target: str
    #: The distribution that installs it ("in-process" for a `register()`ed kind) and its version.
    package: str
    version: str
    #: The capabilities the kind can offer (a partner's configuration may narrow them).
    capabilities: tuple[str, ...]
    #: Why it could not be loaded, if it could not (the others are still listed).
    problem: str | None = None


def describe() -> list[KindInfo]:
    """Every installed kind, by name; a kind that fails to load is listed with its problem."""
    found: dict[str, KindInfo] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        package, version = _package(ep), ep.dist.version if ep.dist is not None else ""
        duplicate = _duplicate(ep.name)
        if duplicate is not None:
            found[ep.name] = KindInfo(ep.name, ep.value, package, version, (), duplicate)
            continue
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken third-party package: say so, list the rest
            found[ep.name] = KindInfo(ep.name, ep.value, package, version, (), f"{type(exc).__name__}: {exc}")
            continue
        found[ep.name] = KindInfo(ep.name, ep.value, package, version, _capabilities(loaded))
    for name, kind in _registered.items():
        target = f"{getattr(kind, '__module__', '?')}:{getattr(kind, '__qualname__', repr(kind))}"
        found[name] = KindInfo(name, target, "in-process", "", _capabilities(kind))
    return [found[name] for name in sorted(found)]


def _capabilities(kind: object) -> tuple[str, ...]:
    supported = getattr(kind, "supported", ())
    return tuple(sorted(str(getattr(c, "value", c)) for c in supported))
