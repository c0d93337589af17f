"""Connectors: one adapter per partner system, and the contract the hub depends on.

The public API for connector authors is what this package exports, and nothing else (a test pins it):

- the contract: `Connector` (what the hub calls), `BaseConnector` (lifecycle, configuration, unsupported
  capabilities, and a `fetch` built on the per-kind methods), `FetchingConnector` (for a partner that
  answers several kinds of record in one request), `Capability`, `RECORD_KINDS`, `Wanted`, `Fetched`,
  `PartnerConfig`, `DEFAULT_TIMEOUT`;
- the canonical records every connector returns (`PersonRecord`, `WarningMarker`, `IntelligenceReport`,
  `CustodyRecord`, `SafeguardingConcern` and their parts and codes), and `SearchCriteria`;
- the errors a connector raises, and nothing else (`PartnerUnavailable`, `PartnerTimeout`,
  `PartnerBadResponse`, `CapabilityNotSupported`, `ConnectorConfigError`, ...);
- `ConnectionSettings` and `HttpUrlText`, to read a `[partners.connection]` table the way every kind does;
- `register`, `build` and `kinds`, the registry (a package registers through its `hub.connectors` entry
  point instead); `normalise_pnc_id`, for PNC IDs in their canonical form.

The conformance suite is `connectors.conformance`. Modules and names with a leading underscore, and the
built-in kinds' own modules, are private: they change without notice. See docs/connectors.md.
"""

from __future__ import annotations

from connectors.canonical import (
    Address,
    Assessment,
    CustodyOutcome,
    CustodyRecord,
    Gender,
    Handling,
    IntelligenceReport,
    MarkerCode,
    Offence,
    PersonName,
    PersonRecord,
    SafeguardingConcern,
    SafeguardingKind,
    SearchCriteria,
    SourceEvaluation,
    WarningMarker,
)
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
from connectors.pnc import normalise_pnc_id
from connectors.registry import build, kinds, register
from connectors.settings import ConnectionSettings, HttpUrlText

__all__ = [
    "DEFAULT_TIMEOUT",
    "RECORD_KINDS",
    "Address",
    "Assessment",
    "BaseConnector",
    "Capability",
    "CapabilityNotSupported",
    "ConnectionSettings",
    "Connector",
    "ConnectorConfigError",
    "ConnectorError",
    "CustodyOutcome",
    "CustodyRecord",
    "Fetched",
    "FetchingConnector",
    "Gender",
    "Handling",
    "HttpUrlText",
    "IntelligenceReport",
    "MarkerCode",
    "Offence",
    "PartnerBadResponse",
    "PartnerConfig",
    "PartnerError",
    "PartnerTimeout",
    "PartnerUnavailable",
    "PersonName",
    "PersonRecord",
    "SafeguardingConcern",
    "SafeguardingKind",
    "SearchCriteria",
    "SourceEvaluation",
    "Wanted",
    "WarningMarker",
    "build",
    "kinds",
    "normalise_pnc_id",
    "register",
]
