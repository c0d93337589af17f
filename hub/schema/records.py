"""GraphQL types for the records held on a person: markers, intelligence, custody, safeguarding."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from connectors import canonical
from hub.access.scopes_directive import requires_scopes, type_scopes
from hub.schema.enums import (
    Assessment,
    CustodyOutcome,
    Handling,
    MarkerCategory,
    MarkerCode,
    SafeguardingKind,
    SourceEvaluation,
)

__all__ = [
    "Address",
    "CustodyRecord",
    "IntelligenceReport",
    "Offence",
    "SafeguardingConcern",
    "WarningMarker",
]


@strawberry.type(description="A postal address recorded for a person.")
class Address:
    lines: list[str] = strawberry.field(description="Street lines, most specific first.")
    town: str | None = strawberry.field(description="Post town.")
    postcode: str | None = strawberry.field(description="Postcode as the partner recorded it.")

    @classmethod
    def of(cls, a: canonical.Address) -> Address:
        return cls(lines=list(a.lines), town=a.town, postcode=a.postcode)


@strawberry.type(
    description="A PNC-style warning marker (warning signal) raised by a partner.",
    directives=type_scopes(["markers:read"], ["markers:health"]),
)
class WarningMarker:
    code: MarkerCode = strawberry.field(description="The two-letter warning signal code.")
    category: MarkerCategory = strawberry.field(description="Officer safety, or health (special-category).")
    description: str = strawberry.field(description="The partner's free-text description.")
    partner: str = strawberry.field(description="The partner that raised the marker.")
    added_on: date | None = strawberry.field(description="When the marker was raised.")

    @classmethod
    def of(cls, m: canonical.WarningMarker) -> WarningMarker:
        health = m.code in canonical.HEALTH_MARKER_CODES
        return cls(
            code=m.code,
            category=MarkerCategory.HEALTH if health else MarkerCategory.OFFICER_SAFETY,
            description=m.description,
            partner=m.partner,
            added_on=m.added_on,
        )


@strawberry.type(
    description="An intelligence report graded on the 3x5x2 model.", directives=type_scopes(["intel:read"])
)
class IntelligenceReport:
    id: strawberry.ID = strawberry.field(description="The report's reference at the originating partner.")
    partner: str = strawberry.field(description="The originating partner.")
    source_evaluation: SourceEvaluation = strawberry.field(description="How reliable the source is (1-3).")
    assessment: Assessment = strawberry.field(description="How the intelligence is known (A-E).")
    handling: Handling = strawberry.field(
        description="Whether it may be shared, and on what conditions (P/C)."
    )
    handling_conditions: str | None = strawberry.field(description="Conditions that travel with a C report.")
    grading: str = strawberry.field(description='The grading in the usual short form, e.g. "1A P".')
    summary: str = strawberry.field(description="A sanitised summary.")
    content: str | None = strawberry.field(
        description="The full text of the report.", extensions=[requires_scopes(["intel:content"])]
    )
    classification: str | None = strawberry.field(description="Government Security Classification marking.")
    recorded_at: datetime | None = strawberry.field(description="When the report was recorded.")

    @classmethod
    def of(cls, r: canonical.IntelligenceReport) -> IntelligenceReport:
        return cls(
            id=strawberry.ID(r.id),
            partner=r.partner,
            source_evaluation=r.source_evaluation,
            assessment=r.assessment,
            handling=r.handling,
            handling_conditions=r.handling_conditions,
            grading=f"{r.source_evaluation.value}{r.assessment.value} {r.handling.value}",
            summary=r.summary,
            content=r.content,
            classification=r.classification,
            recorded_at=r.recorded_at,
        )


@strawberry.type(description="An offence a person was arrested for.")
class Offence:
    code: str = strawberry.field(description="Home Office offence code.")
    description: str = strawberry.field(description="The offence in words.")


@strawberry.type(
    description="A PACE custody record: one detention at a custody suite.",
    directives=type_scopes(["custody:read"]),
)
class CustodyRecord:
    id: strawberry.ID = strawberry.field(description="The record's reference at the partner.")
    partner: str = strawberry.field(description="The partner holding the record.")
    custody_number: str = strawberry.field(description="The custody number.")
    station: str = strawberry.field(description="The custody suite.")
    arrested_at: datetime = strawberry.field(description="When the person was arrested.")
    arrest_reason: str = strawberry.field(description="Why the person was arrested.")
    offences: list[Offence] = strawberry.field(description="Offences the person was arrested for.")
    detention_authorised_by: str | None = strawberry.field(
        description="The custody officer who authorised it."
    )
    released_at: datetime | None = strawberry.field(description="When the person was released, if they were.")
    outcome: CustodyOutcome | None = strawberry.field(description="How the detention ended.")
    risk_flags: list[str] = strawberry.field(description="Risks noted at booking in.")

    @classmethod
    def of(cls, r: canonical.CustodyRecord) -> CustodyRecord:
        return cls(
            id=strawberry.ID(r.id),
            partner=r.partner,
            custody_number=r.custody_number,
            station=r.station,
            arrested_at=r.arrested_at,
            arrest_reason=r.arrest_reason,
            offences=[Offence(code=o.code, description=o.description) for o in r.offences],
            detention_authorised_by=r.detention_authorised_by,
            released_at=r.released_at,
            outcome=r.outcome,
            risk_flags=list(r.risk_flags),
        )


@strawberry.type(
    description="A safeguarding concern: a fact a child-protection team may need.",
    directives=type_scopes(["safeguarding:read"]),
)
class SafeguardingConcern:
    id: strawberry.ID = strawberry.field(description="The concern's reference at the partner.")
    partner: str = strawberry.field(description="The partner holding the record.")
    kind: SafeguardingKind = strawberry.field(description="What kind of concern it is.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    children_present: bool | None = strawberry.field(description="Whether children were present.")
    summary: str = strawberry.field(description="What happened, briefly.")
    contact_point: str | None = strawberry.field(description="Whom to contact at the owning partner.")

    @classmethod
    def of(cls, c: canonical.SafeguardingConcern) -> SafeguardingConcern:
        return cls(
            id=strawberry.ID(c.id),
            partner=c.partner,
            kind=c.kind,
            occurred_at=c.occurred_at,
            children_present=c.children_present,
            summary=c.summary,
            contact_point=c.contact_point,
        )
