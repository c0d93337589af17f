"""Policy explain: for a query and a client, which fields would be returned, which denied, and why.

Nothing is executed and no partner is called: the answer comes from the schema's scope requirements, the
client's scopes and the sharing policy alone, so a data-protection officer can review a sharing agreement.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLError, GraphQLSchema, parse, validate

from hub.access.analysis import field_uses
from hub.access.policy import SharingPolicy, missing_scopes, satisfies
from hub.auth.principal import Principal

__all__ = ["Decision", "InvalidDocument", "explain", "reads_personal_data", "render"]

_RECORD_RULES = {
    "warningMarkers": "health markers (SU, MN, AT, CO) only with markers:health; officer-safety ones with "
    "markers:read",
    "intelligence": "reports with handling code C only to police organisations holding intel:content",
}


class InvalidDocument(ValueError):
    """The document does not validate against the schema: the hub would refuse it whole."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Decision:
    path: str
    allowed: bool
    reason: str


def reads_personal_data(schema: GraphQLSchema, query: str) -> bool:
    """Whether the document selects any field that reads personal data (so needs a stated purpose)."""
    return any(use.personal_data for use in field_uses(schema, parse(query)))


def explain(schema: GraphQLSchema, query: str, principal: Principal, policy: SharingPolicy) -> list[Decision]:
    """One decision per selected field, in document order.

    Raises:
        GraphQLSyntaxError: The document does not parse.
        InvalidDocument: It does not validate against the schema (the hub would refuse it whole).
    """
    document = parse(query)
    errors = validate(schema, document)
    if errors:
        raise InvalidDocument(errors)
    granted = policy.effective_scopes(principal)
    capped = principal.scopes - granted
    decisions = []
    denied_prefixes: list[str] = []
    for use in field_uses(schema, document):
        if any(use.path.startswith(prefix + ".") for prefix in denied_prefixes):
            decisions.append(Decision(use.path, False, "not reached: a field above it is denied"))
            continue
        if not use.requirement:
            decisions.append(Decision(use.path, True, "public within its parent"))
            continue
        alternatives = " or ".join("+".join(sorted(a)) for a in use.requirement)
        if satisfies(use.requirement, granted):
            rule = _RECORD_RULES.get(use.field_name)
            reason = f"needs {alternatives}: granted" + (f"; record rule: {rule}" if rule else "")
            decisions.append(Decision(use.path, True, reason))
            continue
        lacking = "; ".join(", ".join(m) for m in missing_scopes(use.requirement, granted))
        reason = f"needs {alternatives}; missing {lacking}"
        if any(a <= principal.scopes for a in use.requirement) and capped:
            reason += (
                f"; the client holds them, but the sharing policy for "
                f"{principal.organisation_type} does not allow {', '.join(sorted(capped))}"
            )
        decisions.append(Decision(use.path, False, reason))
        denied_prefixes.append(use.path)
    return decisions


def render(decisions: list[Decision]) -> str:
    """A plain-text table: ALLOW / DENY, the field path, and the reason."""
    width = max((len(d.path) for d in decisions), default=10)
    lines = [f"{'ALLOW' if d.allowed else 'DENY ':5}  {d.path:{width}}  {d.reason}" for d in decisions]
    return "\n".join(lines)
