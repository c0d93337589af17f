"""Person search: the criteria callers give, and the result with each partner's status."""

from __future__ import annotations

from datetime import date

import strawberry

from connectors.canonical import SearchCriteria
from connectors.pnc import InvalidPncId, format_pnc_id, parse_pnc_id
from hub.errors import BadUserInput
from hub.federation.ledger import PartnerStatus as LedgerStatus
from hub.schema.enums import PartnerOutcome
from hub.schema.person import Person

__all__ = ["MAX_NAME_LENGTH", "PartnerStatus", "PersonCriteria", "PersonSearchResult"]

MAX_NAME_LENGTH = 80


@strawberry.input(description="Who to look for. At least one of familyName or pncId is required.")
class PersonCriteria:
    family_name: str | None = strawberry.field(default=None, description="Family name; aliases match too.")
    given_name: str | None = strawberry.field(default=None, description="Given name or its first letters.")
    date_of_birth: date | None = strawberry.field(default=None, description="Exact date of birth.")
    pnc_id: str | None = strawberry.field(default=None, description="PNC ID, YYYY/NNNNNNNL or YY/NNNNNNNL.")

    def to_search(self) -> SearchCriteria:
        """Canonical criteria, or `BadUserInput` saying what to change."""
        family = (self.family_name or "").strip() or None
        given = (self.given_name or "").strip() or None
        pnc = (self.pnc_id or "").strip() or None
        if family is None and pnc is None:
            raise BadUserInput(
                "Give at least one of criteria.familyName or criteria.pncId.", field="criteria"
            )
        for name, value in (("familyName", family), ("givenName", given)):
            if value is not None and len(value) > MAX_NAME_LENGTH:
                raise BadUserInput(
                    f"criteria.{name} is {len(value)} characters long; the most is {MAX_NAME_LENGTH}.",
                    field=f"criteria.{name}",
                )
        if pnc is not None:
            try:
                pnc = format_pnc_id(*parse_pnc_id(pnc))
            except InvalidPncId as exc:
                raise BadUserInput(f"criteria.pncId: {exc}", field="criteria.pncId") from None
        return SearchCriteria(
            family_name=family, given_name=given, date_of_birth=self.date_of_birth, pnc_id=pnc
        )


@strawberry.type(description="How one partner answered in this request.")
class PartnerStatus:
    name: str = strawberry.field(description="The partner's name, as in the partners file.")
    title: str = strawberry.field(description="The partner's display name.")
    outcome: PartnerOutcome = strawberry.field(description="OK, or why its records are missing.")
    latency_ms: float = strawberry.field(
        description="The slowest call to the partner, in milliseconds, its retries and waits included."
    )
    calls: int = strawberry.field(
        description="Requests that reached the partner, retries included (none while its breaker is open)."
    )
    error: str | None = strawberry.field(description="What went wrong, if anything.")

    @classmethod
    def of(cls, status: LedgerStatus) -> PartnerStatus:
        return cls(
            name=status.name,
            title=status.title,
            outcome=PartnerOutcome(status.outcome),
            latency_ms=round(status.latency_ms, 1),
            calls=status.calls,
            error=status.error.public_detail if status.error else None,
        )


@strawberry.type(description="The people found, and how every partner that was searched answered.")
class PersonSearchResult:
    people: list[Person] = strawberry.field(description="Matching people, each merged across partners.")
    partners: list[PartnerStatus] = strawberry.field(description="One status per partner searched.")
