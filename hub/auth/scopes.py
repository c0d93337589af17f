"""The scopes a token may carry."""

from __future__ import annotations

__all__ = ["SCOPES"]

SCOPES: dict[str, str] = {
    "person:match": "Ask whether partners hold records on a person, and whom to contact (hit / no hit).",
    "person:read": "Read a person's identity: names, date of birth, identifiers, addresses, sources.",
    "markers:read": "Read officer-safety warning markers.",
    "markers:health": "Read health warning markers (special-category data).",
    "intel:read": "Read intelligence grading and sanitised summaries.",
    "intel:content": "Read intelligence full text, and reports with handling conditions (police only).",
    "custody:read": "Read custody records.",
    "safeguarding:read": "Read safeguarding concerns.",
    "watch:write": "Watch people: be told when a partner records something new about them (what is told is "
    "what the client's other scopes let it read).",
    "audit:read": "Read the audit trail.",
    "partners:status": "Read the configured partners and their health (circuit breakers); no personal data.",
    "schema:introspect": "Introspect the GraphQL schema.",
}
