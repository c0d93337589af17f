"""The scopes a token may carry, and the demo clients: roles a user will recognise."""

from __future__ import annotations

from dataclasses import dataclass

from hub.auth.principal import OrganisationType

__all__ = ["DEMO_CLIENTS", "SCOPES", "DemoClient"]

SCOPES: dict[str, str] = {
    "person:match": "Ask whether partners hold records on a person, and whom to contact (hit / no hit).",
    "person:read": "Read a person's identity: names, date of birth, identifiers, addresses, sources.",
    "markers:read": "Read officer-safety warning markers.",
    "markers:health": "Read health warning markers (special-category data).",
    "intel:read": "Read intelligence grading and sanitised summaries.",
    "intel:content": "Read intelligence full text, and reports with handling conditions (police only).",
    "custody:read": "Read custody records.",
    "safeguarding:read": "Read safeguarding concerns.",
    "audit:read": "Read the audit trail.",
    "partners:status": "Read the configured partners and their health (circuit breakers); no personal data.",
    "schema:introspect": "Introspect the GraphQL schema.",
}


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    organisation: str
    organisation_type: OrganisationType
    scopes: tuple[str, ...]
    purposes: tuple[str, ...] | None
    description: str


DEMO_CLIENTS: tuple[DemoClient, ...] = (
    DemoClient(
        "investigator",
        "Northshire Police",
        OrganisationType.POLICE_FORCE,
        (
            "person:match",
            "person:read",
            "markers:read",
            "intel:read",
            "intel:content",
            "custody:read",
            "safeguarding:read",
            "schema:introspect",
            "partners:status",
        ),
        None,
        "A partner-force investigator: everything but the audit trail and health markers.",
    ),
    DemoClient(
        "frontline",
        "Southmoor Constabulary",
        OrganisationType.POLICE_FORCE,
        ("person:match", "person:read", "markers:read", "custody:read", "safeguarding:read"),
        ("officer-safety", "investigation", "safeguarding"),
        "A frontline officer: identity, officer-safety markers, custody and safeguarding.",
    ),
    DemoClient(
        "child-protection",
        "Eastvale Council MASH",
        OrganisationType.CHILD_PROTECTION_AGENCY,
        ("person:match", "person:read", "safeguarding:read"),
        ("safeguarding",),
        "A council child-protection (MASH) team: safeguarding facts only.",
    ),
    DemoClient(
        "auditor",
        "Hub Data Protection Office",
        OrganisationType.AUDITOR,
        ("audit:read",),
        ("audit",),
        "An auditor: the audit trail only.",
    ),
    DemoClient(
        "developer",
        "Partner Integration Team",
        OrganisationType.DEVELOPER,
        ("schema:introspect", "partners:status"),
        None,
        "A partner system's developer: schema introspection and partner health, synthetic data only.",
    ),
)
