"""Connector kinds by name: the built-ins and third parties' through the `hub.connectors` entry points.

A kind is a class with `from_config(PartnerConfig)` (in practice a `BaseConnector` subclass). Packages add
kinds by declaring, in their own pyproject.toml:

    [project.entry-points."hub.connectors"]
    niche = "acme_niche.connector:NicheConnector"

Tests and embedding code call `register()` instead. Unknown and duplicate names are refused at once, with a
message naming them.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Protocol

from connectors.contract import Connector, PartnerConfig
from connectors.errors import ConnectorConfigError

__all__ = ["ENTRY_POINT_GROUP", "ConnectorKind", "build", "kinds", "register"]

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


def kinds() -> list[str]:
    """Every kind that can be configured: entry points and in-process registrations."""
    return sorted(set(_entry_points()) | set(_registered))


def _load(name: str) -> ConnectorKind:
    if name in _registered:
        return _registered[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        kind: ConnectorKind = ep.load()
        return kind
    raise ConnectorConfigError(
        f"Unknown connector kind '{name}'. Known kinds: {', '.join(kinds()) or 'none'}."
    )


def build(config: PartnerConfig) -> Connector:
    """A connector for one configured partner (not yet opened)."""
    return _load(config.kind).from_config(config)
