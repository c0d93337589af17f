"""The principal a request acts as: the client, its organisation, its scopes and its purposes."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["ANONYMOUS", "ClientLimits", "OrganisationType", "Principal"]


class OrganisationType(enum.StrEnum):
    """The kinds of organisation a client belongs to; the sharing policy is set per kind."""

    POLICE_FORCE = "police-force"
    CHILD_PROTECTION_AGENCY = "child-protection-agency"
    AUDITOR = "auditor"
    DEVELOPER = "developer"


@dataclass(frozen=True)
class ClientLimits:
    """What a client may spend, from its record; None: the hub's default setting."""

    #: Its rate limits, in the `limits` notation ("20/second;1000/hour"); None: HUB_RATE_LIMIT.
    rate_limit: str | None = None
    #: Its demand-control budget per operation; None: HUB_MAX_QUERY_COST.
    max_query_cost: int | None = None
    #: Whether it may run only documents registered for it (trusted documents).
    trusted_documents_only: bool = False


@dataclass(frozen=True)
class Principal:
    """The caller, from a validated access token (or nobody, for public fields only)."""

    client_id: str | None = None
    subject: str | None = None
    organisation: str | None = None
    organisation_type: OrganisationType | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    #: Purpose codes the client may state; None means any configured purpose.
    purposes: frozenset[str] | None = None
    issuer: str | None = None
    token_id: str | None = None
    #: Its client's limits (the hub's own clients; a trusted issuer's callers get the defaults).
    limits: ClientLimits = field(default_factory=ClientLimits)
    #: When its token expires (epoch seconds): what a long-lived connection (a subscription) is bound by.
    expires_at: float | None = None

    @property
    def authenticated(self) -> bool:
        return self.client_id is not None


ANONYMOUS = Principal()
