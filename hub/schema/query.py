"""The root Query type."""

from __future__ import annotations

from typing import Any

import strawberry

from hub.access.policy import DEFAULT_SHARING_POLICY
from hub.access.purpose import DEFAULT_PURPOSES
from hub.access.scopes_directive import requires_scopes
from hub.errors import (
    PERSON_ID_EXPIRED,
    PERSON_ID_INVALID,
    PERSON_ID_STALE,
    QUERY_TOO_COMPLEX,
    BadUserInput,
    HubError,
    PersonNotFound,
)
from hub.federation.engine import SourcesDiverged
from hub.federation.ids import InvalidPersonId, PersonIdExpired
from hub.schema.audit import AuditEventFilter, AuditEventPage, check_page_size, decode_cursor, page_of
from hub.schema.context import Info
from hub.schema.cost import ListSize
from hub.schema.match import MatchResult, PartnerMatch
from hub.schema.partners import Partner, partners_of
from hub.schema.person import Person, selected_record_kinds
from hub.schema.search import PartnerStatus, PersonCriteria, PersonSearchResult
from hub.schema.watches import WatchQueries

__all__ = ["Query"]


class PersonIdInvalid(BadUserInput):
    """An id the hub did not issue (malformed, altered, minted elsewhere): the caller must search again."""

    code = PERSON_ID_INVALID.name


class PersonIdExpiredError(HubError):
    code = PERSON_ID_EXPIRED.name


class PersonIdStale(HubError):
    code = PERSON_ID_STALE.name


class TooManySourceRecords(HubError):
    code = QUERY_TOO_COMPLEX.name


async def person_sources(
    info: Info, person_id: str, argument: str, *, expired: bool = False
) -> tuple[Any, ...]:
    """The source records a signed person id names, or the caller's error."""
    try:
        return await info.context.ids().decode(person_id, expired=expired)
    except PersonIdExpired as exc:
        raise PersonIdExpiredError(str(exc), field=argument) from None
    except InvalidPersonId as exc:
        raise PersonIdInvalid(f"{argument}: {exc}", field=argument) from None


def _query_description() -> str:
    """The root type's documentation: the purposes a caller may state and what each kind of organisation
    may ever be granted, from the same tables the hub enforces."""
    purposes = "; ".join(f"{code}: {meaning.rstrip('.')}" for code, meaning in DEFAULT_PURPOSES.items())
    caps = "; ".join(
        f"{kind}: {', '.join(sorted(scopes))}" for kind, scopes in DEFAULT_SHARING_POLICY.items()
    )
    return (
        "Look-ups across every partner force's records. An operation that reads personal data states its "
        f"purpose in the Hub-Purpose header (a client may be limited to some): {purposes}. The most each "
        f"kind of organisation may be granted, whatever its token says: {caps}."
    )


@strawberry.type(description=_query_description())
class Query(WatchQueries):
    @strawberry.field(
        description="One person by hub id, as returned by a search.",
        extensions=[requires_scopes(["person:read"])],
    )
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        sources = await person_sources(info, id, "id")
        context = info.context
        context.source_records += len(sources)
        if context.source_records > context.settings.max_source_records:
            raise TooManySourceRecords(
                f"The person ids of this request name {context.source_records} partner records; the most is "
                f"{context.settings.max_source_records} (HUB_MAX_SOURCE_RECORDS).",
                limit=context.settings.max_source_records,
            )
        federation = context.federation
        federation.prefetch(sources, selected_record_kinds(info))  # one round trip, not two
        try:
            merged = await federation.person(sources)
        except SourcesDiverged:
            raise PersonIdStale(
                "The records behind that person id no longer belong to one person (a partner corrected "
                "one): search again.",
                id=str(id)[:64],
            ) from None
        if merged is None:
            if federation.ledger.failures():
                return None  # a partner failed: its error names it, and "not found" would be a guess
            raise PersonNotFound("No partner holds records for that person id.", id=str(id)[:64])
        info.context.disclose_person(merged.sources)
        return Person.of(merged, info)

    @strawberry.field(
        description="Search every partner at once; records of the same person are merged.",
        extensions=[requires_scopes(["person:read"])],
        directives=[ListSize(assumed_size=20, slicing_arguments=["first"], sized_fields=["people"])],
    )
    async def search_persons(
        self, info: Info, criteria: PersonCriteria, first: int | None = 20
    ) -> PersonSearchResult:
        settings = info.context.settings
        limit = settings.search_default_results if first is None else first
        if not 1 <= limit <= settings.search_max_results:
            raise BadUserInput(
                f"first is {limit}; it must be between 1 and {settings.search_max_results}.", field="first"
            )
        federation = info.context.federation
        people = await federation.search(criteria.to_search(), limit)
        for person in people:
            info.context.disclose_person(person.sources)
        return PersonSearchResult(
            people=[Person.of(p, info) for p in people],
            partners=[PartnerStatus.of(s) for s in federation.search_statuses()],
        )

    @strawberry.field(
        description="Hit or no hit per partner, and whom to contact: never the records themselves.",
        extensions=[requires_scopes(["person:match"])],
    )
    async def person_match(self, info: Info, criteria: PersonCriteria) -> MatchResult:
        context = info.context
        federation = context.federation
        matched = await federation.match(criteria.to_search(), context.settings.search_default_results)
        for partner, record_ids in matched.items():  # who was checked: the access log shows it
            for record_id in record_ids:
                context.disclose("match", partner, record_id, record_id)
        hits = {partner: bool(record_ids) for partner, record_ids in matched.items()}
        configs = federation.partners.configs
        matches = [
            PartnerMatch(
                partner=c.name,
                title=c.title,
                hit=hits.get(c.name),
                contact_point=(configs[c.name].contact or None) if hits.get(c.name) else None,
            )
            for c in federation.searchers()
        ]
        return MatchResult(
            hit=any(hits.values()),
            matches=matches,
            partners=[PartnerStatus.of(s) for s in federation.search_statuses()],
        )

    @strawberry.field(
        description="Every partner this hub federates, with its health in this hub process (its circuit "
        "breaker). No partner is called to answer; no personal data, so no stated purpose is needed.",
        extensions=[requires_scopes(["partners:status"], personal_data=False)],
    )
    def partners(self, info: Info) -> list[Partner] | None:
        return partners_of(info.context.federation.partners)

    @strawberry.field(
        description="Audit events, oldest first, with cursor paging. An auditor never sees their own events.",
        extensions=[requires_scopes(["audit:read"])],
        directives=[ListSize(assumed_size=50, slicing_arguments=["first"], sized_fields=["events"])],
    )
    async def audit_events(
        self, info: Info, filter: AuditEventFilter | None = None, first: int = 50, after: str | None = None
    ) -> AuditEventPage:
        check_page_size(first)
        context = info.context
        criteria = (filter or AuditEventFilter()).to_filter(exclude_client_id=context.principal.client_id)
        stored = await context.audit_store().events(criteria, first + 1, decode_cursor(after))
        return page_of(stored, first)

    @strawberry.field(
        description="Every event that disclosed any of this person's source records, across partners and "
        "merged identities. An auditor never sees their own events.",
        extensions=[requires_scopes(["audit:read"])],
        directives=[ListSize(assumed_size=50, slicing_arguments=["first"], sized_fields=["events"])],
    )
    async def access_log(
        self, info: Info, person_id: strawberry.ID, first: int = 50, after: str | None = None
    ) -> AuditEventPage:
        check_page_size(first)
        # An old id still says whom it named: the access log takes it past its lifetime (not forged ones).
        sources = await person_sources(info, person_id, "personId", expired=True)
        context = info.context
        stored = await context.audit_store().access_log(
            sources, first + 1, decode_cursor(after), exclude_client_id=context.principal.client_id
        )
        return page_of(stored, first)
