"""The audit trail for auditors (`audit:read`): events by filter, and who looked at a person."""

from __future__ import annotations

import base64
from datetime import datetime

import strawberry

from hub.audit.store import AuditFilter, StoredEvent
from hub.errors import BadUserInput

__all__ = ["AuditEventFilter", "AuditEventPage", "check_page_size", "decode_cursor", "page_of"]

MAX_PAGE = 500


@strawberry.type(description="One source record an operation disclosed.")
class AuditDisclosure:
    partner: str = strawberry.field(description="The partner holding the record.")
    kind: str = strawberry.field(description="person, marker, intelligence, custody or safeguarding.")
    record_id: str = strawberry.field(description="The record's id at the partner.")
    person_record_id: str = strawberry.field(description="The partner's id of the person it belongs to.")


@strawberry.type(description="One consultation of the hub, as the tamper-evident audit trail holds it.")
class AuditEvent:
    seq: int = strawberry.field(description="Position in the hash chain.")
    event_id: strawberry.ID = strawberry.field(description="The event's id.")
    occurred_at: datetime = strawberry.field(description="When (UTC).")
    request_id: str = strawberry.field(description="The request's id (X-Request-Id).")
    client_id: str | None = strawberry.field(description="The OAuth client, if the token was valid.")
    organisation: str | None = strawberry.field(description="The client's organisation.")
    organisation_type: str | None = strawberry.field(description="The organisation's type.")
    purpose: str | None = strawberry.field(description="The stated purpose code.")
    justification: str | None = strawberry.field(description="The stated justification.")
    operation_name: str | None = strawberry.field(description="The GraphQL operation name.")
    document_hash: str | None = strawberry.field(description="SHA-256 of the GraphQL document.")
    outcome: str = strawberry.field(description="ok, partial, unauthenticated, purpose-refused, denied, ...")
    http_status: int = strawberry.field(description="The HTTP status returned.")
    latency_ms: float = strawberry.field(description="How long the request took, in milliseconds.")
    trace_id: str | None = strawberry.field(description="The request's OpenTelemetry trace id, if traced.")
    denied_fields: list[str] = strawberry.field(description="Fields refused to the caller.")
    failed_partners: list[str] = strawberry.field(description="Partners that failed during the request.")
    disclosed: list[AuditDisclosure] = strawberry.field(description="Source records the response disclosed.")
    hash: str = strawberry.field(description="This event's link in the hash chain.")

    @classmethod
    def of(cls, stored: StoredEvent) -> AuditEvent:
        e = stored.event
        return cls(
            seq=stored.seq,
            event_id=strawberry.ID(stored.event_id),
            occurred_at=e.occurred_at,
            request_id=e.request_id,
            client_id=e.client_id,
            organisation=e.organisation,
            organisation_type=e.organisation_type,
            purpose=e.purpose,
            justification=e.justification,
            operation_name=e.operation_name,
            document_hash=stored.document_hash,
            outcome=e.outcome,
            http_status=e.http_status,
            latency_ms=round(e.latency_ms, 3),
            trace_id=e.trace_id,
            denied_fields=list(e.denied_fields),
            failed_partners=list(e.failed_partners),
            disclosed=[
                AuditDisclosure(
                    partner=d.partner, kind=d.kind, record_id=d.record_id, person_record_id=d.person_record_id
                )
                for d in e.disclosed
            ],
            hash=stored.hash,
        )


@strawberry.input(description="Which audit events to list; every field narrows.")
class AuditEventFilter:
    since: datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Before this time.")
    client_id: str | None = strawberry.field(default=None, description="This OAuth client only.")
    organisation: str | None = strawberry.field(default=None, description="This organisation only.")
    purpose: str | None = strawberry.field(default=None, description="This purpose code only.")
    outcome: str | None = strawberry.field(default=None, description="This outcome only.")

    def to_filter(self, exclude_client_id: str | None) -> AuditFilter:
        return AuditFilter(
            since=self.since,
            until=self.until,
            client_id=self.client_id,
            organisation=self.organisation,
            purpose=self.purpose,
            outcome=self.outcome,
            exclude_client_id=exclude_client_id,
        )


@strawberry.type(description="A page of audit events, oldest first.")
class AuditEventPage:
    events: list[AuditEvent] = strawberry.field(description="The events on this page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether more events follow.")


def decode_cursor(after: str | None) -> int | None:
    if after is None:
        return None
    try:
        text = base64.urlsafe_b64decode(after.encode() + b"==").decode()
        kind, _, number = text.partition(":")
        if kind != "seq":
            raise ValueError(kind)
        return int(number)
    except ValueError:
        raise BadUserInput("after is not a cursor this hub issued.", field="after") from None


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise BadUserInput(f"first is {first}; it must be between 1 and {MAX_PAGE}.", field="first")


def page_of(stored: list[StoredEvent], first: int) -> AuditEventPage:
    """`stored` holds up to first + 1 events: the extra one only says a next page exists."""
    events = stored[:first]
    end = base64.urlsafe_b64encode(f"seq:{events[-1].seq}".encode()).decode().rstrip("=") if events else None
    return AuditEventPage(
        events=[AuditEvent.of(s) for s in events], end_cursor=end, has_next_page=len(stored) > first
    )
