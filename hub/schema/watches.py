"""Watches in the schema: `watchPerson` and `cancelWatch` (mutations), `watches` (a query), all needing the
scope `watch:write` and, since a watch names a person, a stated purpose. The request that makes or ends a
watch is audited like any other: who, which person id, which purpose. docs/notifications.md.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

import strawberry

from connectors.contract import Capability
from hub.access.scopes_directive import requires_scopes, type_scopes
from hub.errors import TOO_MANY_WATCHES, WATCH_NOT_ALLOWED, WATCH_NOT_FOUND, BadUserInput, HubError
from hub.schema.context import Info
from hub.watches.store import TooManyWatches, WatchNotFound, WatchRecord, WatchStore

__all__ = ["Mutation", "Watch", "WatchKind", "WatchQueries"]


class WatchNotAllowed(HubError):
    code = WATCH_NOT_ALLOWED.name


class WatchMissing(HubError):
    code = WATCH_NOT_FOUND.name


class WatchLimit(HubError):
    code = TOO_MANY_WATCHES.name


@strawberry.enum(description="A kind of record a watch is told about.")
class WatchKind(enum.Enum):
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
