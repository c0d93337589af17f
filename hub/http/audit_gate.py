"""Every GraphQL request leaves an audit event behind it, or leaves nothing at all.

`AuditRecorder` wraps the app (outside authentication, so refused tokens are recorded too). It holds the
response back, writes the event (who, for what purpose, what was asked, what was refused, which source
records were disclosed, which partners failed, the outcome), and only then lets the response go. If the
event cannot be written, the caller gets HTTP 503 `AUDIT_UNAVAILABLE` and none of the data: fail closed.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import metrics
from hub.audit.events import AuditEvent, Disclosure, redact_variables
from hub.audit.store import AuditStore, AuditUnavailable
from hub.consultation import Consultation
from hub.errors import (
    AUDIT_UNAVAILABLE,
    CATALOGUE,
    INTERNAL_SERVER_ERROR,
    RequestRefused,
)
from hub.http._refusal import refusal_messages
from hub.http.logs import ACCESS
from hub.http.request import parse_graphql_request
from hub.tracing import TRACER, current_trace_id

__all__ = ["AuditRecorder", "AuditStatus"]

log = logging.getLogger(__name__)

#: How much of a request body the recorder keeps, unless told (the hub tells it HUB_MAX_REQUEST_BYTES).
_MAX_DOCUMENT = 262_144
#: Of the outcomes of the codes in an answer without data, the one recorded: the first that applies.
_WITHOUT_DATA = ("unauthenticated", "limit-exceeded", "denied", "error", "invalid-request", "partial")


class AuditStatus:
    """Whether the last audit write succeeded: health endpoints report it."""

    def __init__(self) -> None:
        self.ok = True
        self.last_error: str | None = None


def outcome_of(consultation: Consultation, status: int) -> str:
    """How the request ended, as the audit trail records it, from what the request path recorded and the
    error catalogue's outcome of each code (`hub.errors.CATALOGUE`)."""
    if consultation.refusal is not None:
        return consultation.refusal.outcome
    if status == 401:
        return "unauthenticated"
    outcomes = {
        CATALOGUE[code].outcome if code in CATALOGUE else INTERNAL_SERVER_ERROR.outcome
        for code in consultation.error_codes
    }
    if "purpose-refused" in outcomes:
        return "purpose-refused"
    if not consultation.has_data:
        for outcome in _WITHOUT_DATA:
            if outcome in outcomes:
                return outcome
    if INTERNAL_SERVER_ERROR.name in consultation.error_codes or status >= 500:
        return "error"
    if consultation.failed_partners():
        return "partial"
    # An auditor's answered query is recorded as such, so that reads of the trail stand out.
    return "audit-read" if consultation.read_audit_trail else "ok"


class AuditRecorder:
    """ASGI middleware recording one audit event per request to the GraphQL path, before the response
    leaves. Every request there is recorded, whatever it is, except GraphiQL's page (which the endpoint
    marks in the consultation: it consults nothing)."""

    def __init__(
        self,
        app: ASGIApp,
        store: AuditStore,
        status: AuditStatus,
        path: str = "/graphql",
        max_document: int = _MAX_DOCUMENT,
        max_anonymous_document: int = 4096,
    ) -> None:
        self.app, self.store, self.status, self.path = app, store, status, path
        self.max_document = max_document
        self.max_anonymous_document = max_anonymous_document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != self.path:
            await self.app(scope, receive, send)
            return
        # The request's span (continuing the caller's trace, if it sent one); every other span is under it.
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        with TRACER.start_as_current_span(
            f"{scope['method']} {self.path}", context=propagate.extract(carrier), kind=SpanKind.SERVER
        ) as span:
            await self._recorded_call(scope, receive, send, span)

    async def _recorded_call(self, scope: Scope, receive: Receive, send: Send, span: Span) -> None:
        consultation = Consultation.open(scope)
        span.set_attribute("hub.request_id", consultation.request_id)
        body = bytearray()
        complete = False
        held: list[Message] = []

        async def teeing_receive() -> Message:
            nonlocal complete
            message = await receive()
            if message["type"] == "http.request":
                if len(body) < self.max_document:
                    body.extend(message.get("body", b"")[: self.max_document - len(body)])
                complete = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                complete = True
            return message

        async def holding_send(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, teeing_receive, holding_send)
        except Exception:  # a defect: the caller gets a 500 without detail, and the trail records it
            log.exception("unhandled error on %s (request %s)", self.path, consultation.request_id)
            consultation.refuse(INTERNAL_SERVER_ERROR)
            held = refusal_messages(RequestRefused(INTERNAL_SERVER_ERROR, "Internal server error."))
        if consultation.ide_page:
            for message in held:
                await send(message)
            return
        auditing = time.perf_counter()
        if consultation.request is None and consultation.refusal is not None:
            # Refused before the endpoint read it (a bad token): record what it asked for all the same,
            # read as the endpoint would have read it.
            while not complete and len(body) < self.max_document:
                await teeing_receive()
            _read_request(scope, bytes(body), consultation)
        event = self._event(consultation, held)
        span.set_attribute("hub.outcome", event.outcome)
        span.set_attribute("http.response.status_code", event.http_status)
        try:
            with TRACER.start_as_current_span("audit write"):
                await self.store.append(event)
        except AuditUnavailable as exc:
            self.status.ok, self.status.last_error = False, str(exc)
            log.error("audit write failed, response withheld: %s", exc)
            _measured(consultation, event, auditing, written=False)
            unavailable = RequestRefused(
                AUDIT_UNAVAILABLE,
                "The audit trail cannot be written, so no data can be released. Try again later.",
            )
            for message in refusal_messages(unavailable):
                await send(message)
            return
        self.status.ok, self.status.last_error = True, None
        _measured(consultation, event, auditing, written=True)
        # What auditing added to this request's latency (making the event and committing it), for browsers'
        # developer tools and the benchmark: W3C Server-Timing.
        timing = f"audit;dur={(time.perf_counter() - auditing) * 1000:.2f}".encode()
        extra = [(b"server-timing", timing), (b"x-request-id", consultation.request_id.encode())]
        for message in held:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, *extra]}
            await send(message)

    def _recorded(self, consultation: Consultation) -> str | None:
        """The document as the trail keeps it: whole, but for a caller without a valid token, whose refused
        document is kept up to the anonymous limit (a flood of large anonymous documents must not fill the
        trail)."""
        if consultation.request is None:
            return None
        document = consultation.request.query
        if not consultation.principal.authenticated and len(document) > self.max_anonymous_document:
            return _truncated(document, self.max_anonymous_document)
        return document

    def _event(self, consultation: Consultation, held: list[Message]) -> AuditEvent:
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        principal = consultation.principal
        request = consultation.request
        org_type = principal.organisation_type
        return AuditEvent(
            occurred_at=datetime.now(UTC),
            request_id=consultation.request_id,
            client_id=principal.client_id,
            subject=principal.subject,
            organisation=principal.organisation,
            organisation_type=str(org_type) if org_type else None,
            scopes=tuple(sorted(principal.scopes)),
            purpose=consultation.purpose,
            justification=consultation.justification,
            operation_name=consultation.operation_name or (request.operation_name if request else None),
            document=self._recorded(consultation),
            variables=redact_variables(request.variables or {}) if request else {},
            denied_fields=tuple(consultation.denied_fields),
            disclosed=tuple(Disclosure(*d) for d in dict.fromkeys(consultation.disclosed)),
            failed_partners=consultation.failed_partners(),
            outcome=outcome_of(consultation, status),
            http_status=status,
            latency_ms=(time.perf_counter() - consultation.started) * 1000,
            trace_id=current_trace_id(),
        )


def _measured(consultation: Consultation, event: AuditEvent, auditing: float, *, written: bool) -> None:
    """The request in the hub's metrics (`hub.metrics`): what the audit event says, never whom it was
    about."""
    ended = time.perf_counter()
    audit_seconds, seconds = ended - auditing, ended - consultation.started
    outcome = event.outcome if written else "audit-unavailable"
    registered = consultation.request is not None and consultation.request.document_id is not None
    operation = metrics.operation_label(event.operation_name, registered)
    metrics.REQUESTS.labels(operation, outcome, event.organisation_type or "none").inc()
    metrics.REQUEST_SECONDS.labels(outcome).observe(seconds)
    if written:
        metrics.AUDIT_WRITE_SECONDS.observe(audit_seconds)
    else:
        metrics.AUDIT_WRITE_FAILURES.inc()
        metrics.REFUSALS.labels(AUDIT_UNAVAILABLE.name).inc()
    if consultation.refusal is not None:
        metrics.REFUSALS.labels(consultation.refusal.name).inc()
    statuses = consultation.ledger.statuses() if consultation.ledger is not None else []
    if statuses:
        metrics.PARTNER_CALLS_PER_REQUEST.observe(sum(s.calls for s in statuses))
    ACCESS.info(
        "graphql request",
        extra={
            "request_id": consultation.request_id,
            "trace_id": current_trace_id(),
            "client": event.client_id,
            "organisation": event.organisation,
            "organisation_type": event.organisation_type,
            "operation": operation,
            "outcome": outcome,
            "status": event.http_status,
            "code": consultation.refusal.name if consultation.refusal is not None else None,
            "latency_ms": round(seconds * 1000, 2),
            "audit_ms": round(audit_seconds * 1000, 2),
            "partners": [
                {"name": s.name, "outcome": s.outcome, "calls": s.calls, "latency_ms": round(s.latency_ms, 1)}
                for s in statuses
            ],
        },
    )


def _truncated(document: str, limit: int) -> str:
    return f"{document[:limit]}\n# [{len(document)} characters in all: the rest is not recorded]"


def _read_request(scope: Scope, body: bytes, consultation: Consultation) -> None:
    """Fill in the request of a consultation refused before the endpoint read it, if it can be read."""
    try:
        consultation.request = parse_graphql_request(
            scope["method"],
            Headers(scope=scope).get("content-type"),
            QueryParams(scope.get("query_string", b"")).multi_items(),
            body,
            allow_get=True,
        )
    except RequestRefused:
        return
