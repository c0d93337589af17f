"""The sharing policy: what a principal's scopes really grant, and the record-level rules on top.

Scopes come from the token. They are capped by the sharing policy for the caller's organisation type, a
second line of defence against a misconfigured client: a child-protection agency never receives intelligence,
custody detail or health markers, whatever scopes its client was given by mistake. Requirements are written
like Apollo Federation's `@requiresScopes`: a list of alternatives (OR), each a set of scopes (AND).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from connectors.canonical import HEALTH_MARKER_CODES, Handling, IntelligenceReport, WarningMarker
from hub.auth.principal import OrganisationType, Principal
from hub.auth.scopes import SCOPES

__all__ = [
    "DEFAULT_SHARING_POLICY",
    "Requirement",
    "SharingPolicy",
    "missing_scopes",
    "satisfies",
]

#: Alternatives (OR) of scope sets (AND).
Requirement = tuple[frozenset[str], ...]

_ALL = frozenset(SCOPES)

#: The most each organisation type may ever be granted, whatever its clients' scopes say.
DEFAULT_SHARING_POLICY: Mapping[str, frozenset[str]] = {
    OrganisationType.POLICE_FORCE: _ALL - {"audit:read"},
    OrganisationType.CHILD_PROTECTION_AGENCY: frozenset(
        {"person:match", "person:read", "safeguarding:read", "watch:write"}
    ),
    OrganisationType.AUDITOR: frozenset({"audit:read", "schema:introspect"}),
    # Partner health is not personal data; integration teams need it to see which partner is failing.
    OrganisationType.DEVELOPER: frozenset({"schema:introspect", "partners:status"}),
}


def satisfies(requirement: Requirement, granted: frozenset[str]) -> bool:
    """True if any alternative's scopes are all granted (an empty requirement is public)."""
    return not requirement or any(alternative <= granted for alternative in requirement)


def missing_scopes(requirement: Requirement, granted: frozenset[str]) -> list[list[str]]:
    """For each alternative, the scopes it still lacks (what a caller would need to be granted)."""
    return [sorted(alternative - granted) for alternative in requirement]


@dataclass(frozen=True)
class SharingPolicy:
    """Caps per organisation type, and the record-level rules."""

    caps: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DEFAULT_SHARING_POLICY))
    #: Organisation types that may receive intelligence with handling code C (sharing with conditions).
    conditional_intel_types: frozenset[str] = frozenset({OrganisationType.POLICE_FORCE})

    @classmethod
    def from_mapping(cls, caps: Mapping[str, Sequence[str]] | None) -> SharingPolicy:
        """A policy whose caps override the defaults for the organisation types named."""
        merged = dict(DEFAULT_SHARING_POLICY)
        for org_type, scopes in (caps or {}).items():
            unknown = set(scopes) - _ALL
            if unknown:
                raise ValueError(f"sharing policy for '{org_type}' names unknown scopes {sorted(unknown)}")
            merged[org_type] = frozenset(scopes)
        return cls(caps=merged)

    def effective_scopes(self, principal: Principal) -> frozenset[str]:
        """The principal's scopes, capped by its organisation type (an unknown type gets nothing)."""
        if principal.organisation_type is None:
            return frozenset()
        return principal.scopes & self.caps.get(principal.organisation_type, frozenset())

    def marker_visible(self, marker: WarningMarker, granted: frozenset[str]) -> bool:
        """Officer-safety markers need markers:read; health markers (special category) need markers:health."""
        return ("markers:health" if marker.code in HEALTH_MARKER_CODES else "markers:read") in granted

    def intelligence_visible(
        self, report: IntelligenceReport, principal: Principal, granted: frozenset[str]
    ) -> bool:
        """Reports with handling code C go only to police organisations holding intel:content."""
        if report.handling is not Handling.SHARING_WITH_CONDITIONS:
            return True
        return principal.organisation_type in self.conditional_intel_types and "intel:content" in granted
