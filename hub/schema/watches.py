"""Watches in the schema: `watchPerson` and `cancelWatch` (mutations), `watches` (a query), all needing the
scope `watch:write` and, since a watch names a person, a stated purpose. The request that makes or ends a
watch is audited like any other: who, which person id, which purpose. docs/notifications.md.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry

from connectors.contract import Capability
from hub.access.scopes_directive import requires_scopes, stream_requires_scopes, type_scopes
from hub.auth.principal import Principal
from hub.errors import TOO_MANY_WATCHES, WATCH_NOT_ALLOWED, WATCH_NOT_FOUND, BadUserInput, HubError
from hub.schema.context import Info
from hub.schema.records import CustodyRecord, IntelligenceReport, SafeguardingConcern, WarningMarker
from hub.watches.broker import Notification
from hub.watches.broker import Subscription as Subscription_
from hub.watches.matching import Match
from hub.watches.matching import MatchedBy as MatchedBy_
from hub.watches.store import TooManyWatches, WatchNotFound, WatchRecord, WatchStore

__all__ = ["Mutation", "PersonEvent", "Subscription", "Watch", "WatchKind", "WatchQueries"]


class WatchNotAllowed(HubError):
    code = WATCH_NOT_ALLOWED.name


class WatchMissing(HubError):
    code = WATCH_NOT_FOUND.name


class WatchLimit(HubError):
    code = TOO_MANY_WATCHES.name


@strawberry.enum(description="A kind of record a watch is told about.")
class WatchKind(enum.Enum):
    PEOPLE = strawberry.enum_value(
        Capability.PEOPLE.value,
        description="A partner newly holds a record of the person, matched to them by entity resolution (the "
        "same PNC ID, or a close name and the same date of birth): the watch then covers that record too.",
    )
    MARKERS = Capability.MARKERS.value
    INTELLIGENCE = Capability.INTELLIGENCE.value
    CUSTODY = Capability.CUSTODY.value
    SAFEGUARDING = Capability.SAFEGUARDING.value


@strawberry.type(
    description="A watch on a person: while it runs, what partners newly record about them, of its kinds, is "
    "told to the client that made it (only what that client may read, checked when it is told).",
    directives=type_scopes(["watch:write"]),
)
class Watch:
    id: strawberry.ID = strawberry.field(description="The watch's id (for cancelWatch).")
    person_id: strawberry.ID = strawberry.field(description="The person watched, as a hub person id.")
    kinds: list[WatchKind] = strawberry.field(description="The kinds of record it is told about.")
    purpose: str | None = strawberry.field(description="The purpose stated when it was made.")
    created_at: datetime = strawberry.field(description="When it was made (UTC).")
    expires_at: datetime = strawberry.field(description="When it ends unless cancelled first (UTC).")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled, if it was.")
    active: bool = strawberry.field(description="Whether it runs now (neither expired nor cancelled).")

    @classmethod
    def of(cls, record: WatchRecord, info: Info) -> Watch:
        return cls(
            id=strawberry.ID(record.watch_id),
            person_id=strawberry.ID(info.context.ids().encode(record.sources)),
            kinds=[WatchKind(kind) for kind in record.kinds],
            purpose=record.purpose,
            created_at=record.created_at,
            expires_at=record.expires_at,
            cancelled_at=record.cancelled_at,
            active=record.live(datetime.now(UTC)),
        )


def _client(info: Info) -> str:
    client_id = info.context.principal.client_id
    if client_id is None:  # the scope check lets no anonymous caller this far
        raise RuntimeError("a watch needs an authenticated client")
    return client_id


def _store(info: Info) -> WatchStore:
    store = info.context.watches
    if store is None:
        raise RuntimeError("this operation has no watch store")
    return store


@strawberry.type(description="Changes: watches on people. Every field can be denied, so is nullable.")
class Mutation:
    @strawberry.mutation(
        description="Watch a person: be told, while the watch runs, what partners newly record about them of "
        "these kinds. It runs until `until` (UTC), by default HUB_WATCH_DEFAULT_DAYS, never longer than the "
        "client's organisation type may watch (HUB_WATCH_MAX_DAYS).",
        extensions=[requires_scopes(["watch:write"])],
    )
    async def watch_person(
        self,
        info: Info,
        person_id: strawberry.ID,
        kinds: list[WatchKind] | None = None,
        until: datetime | None = None,
    ) -> Watch | None:
        from hub.schema.query import person_sources  # the person id's reading, shared with person()

        context = info.context
        principal, settings = context.principal, context.settings
        kind_of = str(principal.organisation_type or "")
        max_days = settings.watch_max_days.get(kind_of)
        if not max_days:
            raise WatchNotAllowed(
                f"Organisations of type {kind_of!r} may not watch people (HUB_WATCH_MAX_DAYS).",
                organisationType=kind_of,
            )
        now = datetime.now(UTC)
        latest = now + timedelta(days=max_days)
        if until is not None:
            until = until if until.tzinfo is not None else until.replace(tzinfo=UTC)
            if until <= now:
                raise BadUserInput("until is in the past; give a moment to come.", field="until")
            if until > latest:
                raise BadUserInput(
                    f"until is past the longest a watch of a {kind_of} may run ({max_days} days, until "
                    f"{latest.isoformat(timespec='seconds')}).",
                    field="until",
                )
        expires = until or min(latest, now + timedelta(days=settings.watch_default_days))
        sources = await person_sources(info, str(person_id), "personId")
        chosen = kinds or list(WatchKind)
        try:
            record = await _store(info).create(
                principal,
                sources,
                [k.value for k in chosen],
                expires,
                context.consultation.purpose,
                context.consultation.justification,
            )
        except TooManyWatches as exc:
            raise WatchLimit(str(exc), limit=settings.watch_max_per_client) from None
        return Watch.of(record, info)

    @strawberry.mutation(
        description="End one of your watches now. An ended watch stays listed (watches(includeEnded: true)).",
        extensions=[requires_scopes(["watch:write"])],
    )
    async def cancel_watch(self, info: Info, id: strawberry.ID) -> Watch | None:
        try:
            record = await _store(info).cancel(_client(info), str(id))
        except WatchNotFound as exc:
            raise WatchMissing(str(exc), id=str(id)[:64]) from None
        return Watch.of(record, info)


@strawberry.type
class WatchQueries:
    @strawberry.field(
        description="Your watches, newest first: the ones that run, or every one with includeEnded.",
        extensions=[requires_scopes(["watch:write"])],
    )
    async def watches(self, info: Info, include_ended: bool = False) -> list[Watch] | None:
        found = await _store(info).of_client(_client(info), include_ended)
        return [Watch.of(record, info) for record in found]


@strawberry.enum(description="How a partner's new record was matched to the person watched.")
class MatchedBy(enum.Enum):
    PNC_ID = strawberry.enum_value(MatchedBy_.PNC_ID.value, description="The same PNC ID.")
    NAME_AND_DATE_OF_BIRTH = strawberry.enum_value(
        MatchedBy_.NAME_AND_DATE_OF_BIRTH.value,
        description="A close name (spelling, initials, diminutives allowed) and the same date of birth.",
    )


@strawberry.type(
    description="A partner's new record of the person watched. Read it, with the rest of the person, through "
    "person(id: personId): the event's personId names it.",
    directives=type_scopes(["person:read"]),
)
class MatchedRecord:
    record_id: str = strawberry.field(description="The record's identifier in the partner's system.")
    matched_by: MatchedBy = strawberry.field(description="What it was matched on.")
    confidence: float = strawberry.field(description="How sure the match is, from 0.85 to 1.0.")

    @classmethod
    def of(cls, match: Match) -> MatchedRecord:
        return cls(
            record_id=match.record_id, matched_by=MatchedBy(match.by.value), confidence=match.confidence
        )


@strawberry.type(
    description="What a watch was told: a record a partner newly holds about the person watched. One of the "
    "record fields is set, for `kind`.",
    directives=type_scopes(["watch:write"]),
)
class PersonEvent:
    id: strawberry.ID = strawberry.field(
        description="The event's id (the audit trail's request id is watch-<id>)."
    )
    watch_id: strawberry.ID = strawberry.field(description="The watch that fired.")
    person_id: strawberry.ID = strawberry.field(description="The person watched, as a hub person id.")
    kind: WatchKind = strawberry.field(description="The kind of record.")
    partner: str = strawberry.field(description="The partner that recorded it.")
    partner_title: str = strawberry.field(description="The partner's display name.")
    detected_at: datetime = strawberry.field(description="When the hub found it in the partner's feed (UTC).")
    custody: CustodyRecord | None = strawberry.field(description="A custody record (an arrest), for CUSTODY.")
    safeguarding: SafeguardingConcern | None = strawberry.field(description="For SAFEGUARDING.")
    intelligence: IntelligenceReport | None = strawberry.field(description="For INTELLIGENCE.")
    warning_marker: WarningMarker | None = strawberry.field(description="For MARKERS.")
    matched_record: MatchedRecord | None = strawberry.field(
        description="For PEOPLE: the partner's new record of the person (personId names it from now on)."
    )

    @classmethod
    def of(cls, n: Notification, info: Info) -> PersonEvent:
        record = n.record
        return cls(
            id=strawberry.ID(n.event_id),
            watch_id=strawberry.ID(n.watch.watch_id),
            person_id=strawberry.ID(info.context.ids().encode(n.watch.sources)),
            kind=WatchKind(n.kind.value),
            partner=n.partner,
            partner_title=n.partner_title,
            detected_at=n.detected_at,
            custody=CustodyRecord.of(record) if n.kind is Capability.CUSTODY else None,
            safeguarding=SafeguardingConcern.of(record) if n.kind is Capability.SAFEGUARDING else None,
            intelligence=IntelligenceReport.of(record) if n.kind is Capability.INTELLIGENCE else None,
            warning_marker=WarningMarker.of(record) if n.kind is Capability.MARKERS else None,
            matched_record=MatchedRecord.of(record) if n.kind is Capability.PEOPLE else None,
        )


_EVENTS_SCOPES = stream_requires_scopes(["watch:write"])


@strawberry.type(description="Streams, over a WebSocket at /graphql (graphql-transport-ws).")
class Subscription:
    @strawberry.subscription(
        description="What your watches are told, as it happens (one watch's with watchId). The connection "
        "authenticates in its connection_init payload (Authorization: Bearer ..., Hub-Purpose), and closes "
        "when the token expires or its client is revoked.",
        extensions=[_EVENTS_SCOPES],
    )
    async def person_events(
        self, info: Info, watch_id: strawberry.ID | None = None
    ) -> AsyncGenerator[PersonEvent, None]:
        _EVENTS_SCOPES.check(info)
        context = info.context
        broker = context.broker
        if broker is None:
            raise RuntimeError("this operation has no broker")
        principal = context.principal
        async with broker.subscribe(_client(info), str(watch_id) if watch_id else None) as subscription:
            while True:
                notification = await _next(subscription, principal, context)
                if notification is None:
                    if context.websocket is not None:
                        await context.websocket.close(code=4403, reason="token expired or client revoked")
                    return
                yield PersonEvent.of(notification, info)


#: The least time between two checks that a subscription's client is still active.
MIN_REVOCATION_CHECK_SECONDS = 0.5


async def _next(subscription: Subscription_, principal: Principal, context: Any) -> Notification | None:
    """The next notification; None once the token has expired or the client has been revoked."""
    while True:
        remaining = (principal.expires_at - time.time()) if principal.expires_at is not None else None
        if remaining is not None and remaining <= 0:
            return None
        # A revocation reaches a replica within HUB_CLIENT_CACHE_SECONDS: checking more often would not help.
        every = max(context.settings.client_cache_seconds, MIN_REVOCATION_CHECK_SECONDS)
        wait = every if remaining is None else min(remaining, every)
        try:
            return await asyncio.wait_for(subscription.queue.get(), timeout=wait)
        except TimeoutError:
            clients, client_id = context.clients, principal.client_id
            if clients is not None and client_id is not None and await clients.limits_of(client_id) is None:
                return None
