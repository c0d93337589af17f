"""Connectors: one adapter per partner system, and the contract the hub depends on.

The hub talks to partners only through `Connector` (see `contract.py`); each connector returns the canonical
records of `canonical.py` and raises only the errors of `errors.py`. Built-in kinds: `sql`, `rest`, `graphql`.
"""

from __future__ import annotations

from connectors.contract import (
    DEFAULT_TIMEOUT,
    RECORD_KINDS,
    BaseConnector,
    Capability,
    Connector,
    Fetched,
    FetchingConnector,
    PartnerConfig,
    Wanted,
)
from connectors.errors import (
    CapabilityNotSupported,
    ConnectorConfigError,
    ConnectorError,
    PartnerBadResponse,
    PartnerError,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.registry import build, kinds, register

__all__ = [
    "DEFAULT_TIMEOUT",
    "RECORD_KINDS",
    "BaseConnector",
    "Capability",
    "CapabilityNotSupported",
    "Connector",
    "ConnectorConfigError",
    "ConnectorError",
    "Fetched",
    "FetchingConnector",
    "PartnerBadResponse",
    "PartnerConfig",
    "PartnerError",
    "PartnerTimeout",
    "PartnerUnavailable",
    "Wanted",
    "build",
    "kinds",
    "register",
]
