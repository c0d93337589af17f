"""The public API for connector authors is exactly what `connectors` and `connectors.conformance` export:
adding or removing a name is a decision, made here, and reflected in docs/connectors.md."""

from __future__ import annotations

from pathlib import Path

import connectors
import connectors.conformance

PUBLIC = {
    # the contract
    "Connector", "BaseConnector", "FetchingConnector", "Capability", "RECORD_KINDS", "Wanted", "Fetched",
    "PartnerConfig", "DEFAULT_TIMEOUT",
    # canonical records, their parts and codes
    "PersonRecord", "PersonName", "Address", "Gender", "WarningMarker", "MarkerCode", "IntelligenceReport",
    "SourceEvaluation", "Assessment", "Handling", "CustodyRecord", "Offence", "CustodyOutcome",
    "SafeguardingConcern", "SafeguardingKind", "SearchCriteria", "normalise_pnc_id",
    # errors
    "ConnectorError", "ConnectorConfigError", "CapabilityNotSupported", "PartnerError", "PartnerUnavailable",
    "PartnerTimeout", "PartnerBadResponse",
    # settings
    "ConnectionSettings", "HttpUrlText",
    # the registry
    "register", "build", "kinds",
}  # fmt: skip
CONFORMANCE = {
    "ConnectorConformance", "ConformanceTarget", "ConformanceSample", "EXPECTED", "Fault", "FaultyPartner",
}  # fmt: skip


def test_the_exported_names_are_the_public_api() -> None:
    assert set(connectors.__all__) == PUBLIC
    assert set(connectors.conformance.__all__) == CONFORMANCE
    for module in (connectors, connectors.conformance):
        assert all(hasattr(module, name) for name in module.__all__)


def test_every_public_name_is_in_the_authors_guide(repo_root: Path) -> None:
    guide = (repo_root / "docs" / "connectors.md").read_text(encoding="utf-8")
    missing = sorted(name for name in PUBLIC | CONFORMANCE if f"`{name}" not in guide)
    assert not missing, f"docs/connectors.md does not mention {missing}"
