"""The hit / no-hit query: does any partner know this person, and whom to contact. Never the records."""

from __future__ import annotations

import strawberry

from hub.schema.search import PartnerStatus

__all__ = ["MatchResult", "PartnerMatch"]


@strawberry.type(description="Whether one partner holds records matching the criteria.")
class PartnerMatch:
    partner: str = strawberry.field(description="The partner's name.")
    title: str = strawberry.field(description="The partner's display name.")
    hit: bool | None = strawberry.field(
        description="True if it holds matching records; null if it did not answer."
    )
    contact_point: str | None = strawberry.field(description="Whom to contact there about its records.")


@strawberry.type(
    description="A hit / no-hit answer across partners (the multi-agency 'do you know this person')."
)
class MatchResult:
    hit: bool = strawberry.field(description="True if any partner holds matching records.")
    matches: list[PartnerMatch] = strawberry.field(description="One answer per partner searched.")
    partners: list[PartnerStatus] = strawberry.field(description="How each partner answered.")
