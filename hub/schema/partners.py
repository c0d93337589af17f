"""The configured partners and their health in this hub process (`partners`): no personal data.

Health is the partner's circuit breaker as this hub process sees it, from the calls it made: nothing is asked
of a partner to answer this field. `lastError` echoes the partner's own failure message, which may quote a
value from its records, so it needs `person:read` as well (and so a stated purpose).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from connectors.contract import PartnerConfig
from hub.access.scopes_directive import requires_scopes
from hub.federation.breaker import BreakerSnapshot
from hub.federation.partner_set import PartnerSet
from hub.schema.enums import BreakerState, PartnerCapability, PartnerOutcome

__all__ = ["Partner", "partners_of"]


@strawberry.type(description="A partner system this hub federates, and its health in this hub process.")
class Partner:
    name: str = strawberry.field(description="The partner's name, as in the partners file.")
    title: str = strawberry.field(description="The partner's display name.")
    kind: str = strawberry.field(description="The connector kind: sql, rest, graphql, or a plug-in's.")
    capabilities: list[PartnerCapability] = strawberry.field(description="What the hub may ask it.")
    timeout_seconds: float = strawberry.field(
        description="The longest the hub waits for one call to it, retries included."
    )
    max_concurrent_calls: int = strawberry.field(
        description="The most calls this hub process makes to it at once."
    )
    breaker: BreakerState = strawberry.field(description="Its circuit breaker in this hub process.")
    recent_failures: int = strawberry.field(description="Failed calls in a row, since its last success.")
    last_failure_at: datetime | None = strawberry.field(description="When a call to it last failed (UTC).")
    last_failure_outcome: PartnerOutcome | None = strawberry.field(
        description="How that call failed: TIMEOUT, UNAVAILABLE or BAD_RESPONSE."
    )
    last_error: str | None = strawberry.field(
        description="What went wrong in that call, as the partner's error said (it may quote its data).",
        extensions=[requires_scopes(["partners:status", "person:read"])],
    )
    next_trial_at: datetime | None = strawberry.field(
        description="While the breaker is OPEN: when it will let a trial call through."
    )

    @classmethod
    def of(
        cls, config: PartnerConfig, capabilities: frozenset[PartnerCapability], health: BreakerSnapshot
    ) -> Partner:
        return cls(
            name=config.name,
            title=config.display_name,
            kind=config.kind,
            capabilities=sorted(capabilities, key=list(PartnerCapability).index),
            timeout_seconds=config.timeout,
            max_concurrent_calls=config.max_concurrent_calls,
            breaker=health.state,
            recent_failures=health.recent_failures,
            last_failure_at=health.last_failure_at,
            last_failure_outcome=PartnerOutcome(health.last_failure_outcome)
            if health.last_failure_outcome
            else None,
            last_error=health.last_error,
            next_trial_at=health.trial_at,
        )


def partners_of(partner_set: PartnerSet) -> list[Partner]:
    """Every configured partner, in configuration order, with its breaker now."""
    return [
        Partner.of(
            config, partner_set.connectors[name].capabilities, partner_set.guards[name].breaker.snapshot()
        )
        for name, config in partner_set.configs.items()
    ]
