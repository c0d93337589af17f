"""Every GraphQL request leaves an audit event behind it, or leaves nothing at all.

`AuditRecorder` wraps the app (outside authentication, so refused tokens are recorded too). It holds the
response back, writes the event (who, for what purpose, what was asked, what was refused, which source
records were disclosed, which partners failed, the outcome), and only then lets the response go. If the
event cannot be written, the caller gets HTTP 503 `AUDIT_UNAVAILABLE` and none of the data: fail closed.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from graphql import GraphQLError, OperationDefinitionNode, parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.audit.events import AuditEvent, Disclosure, redact_variables
from hub.audit.store import AuditStore, AuditUnavailable
from hub.errors import LIMIT_CODES

__all__ = ["AUDIT_SCOPE_KEY", "AuditRecorder", "AuditStatus"]

log = logging.getLogger(__name__)

#: Where the GraphQL layer leaves the request's context for the recorder (a dict in the ASGI scope).
AUDIT_SCOPE_KEY = "hub.audit"
#: How much of a request body the recorder keeps, unless told (the hub tells it HUB_MAX_REQUEST_BYTES).
_MAX_DOCUMENT = 262_144
_UNAVAILABLE = json.dumps(
    {
        "data": None,
        "errors": [
            {
                "message": "The audit trail cannot be written, so no data can be released. Try again later.",
                "extensions": {"code": "AUDIT_UNAVAILABLE"},
            }
        ],
    }
).encode()


class AuditStatus:
    """Whether the last audit write succeeded: health endpoints report it."""

    def __init__(self) -> None:
        self.ok = True
        self.last_error: str | None = None


def _outcome(status: int, codes: set[str], has_data: bool, failed: bool) -> str:
    if status == 401 or "UNAUTHENTICATED" in codes:
        return "unauthenticated"
    if not has_data and codes & LIMIT_CODES:
        return "limit-exceeded"
    if codes & {"PURPOSE_REQUIRED", "PURPOSE_NOT_ALLOWED"}:
        return "purpose-refused"
    if not has_data and codes & {"UNAUTHORIZED_FIELD_OR_TYPE", "INTROSPECTION_NOT_ALLOWED"}:
        return "denied"
    if "INTERNAL_SERVER_ERROR" in codes or status >= 500:
        return "error"
    if not has_data and codes:
        return "invalid-request"
    return "partial" if failed else "ok"


def _read_outcome(outcome: str, context: Any) -> str:
    """`audit-read` for an auditor's query that was answered, so that reads of the trail stand out."""
    return "audit-read" if outcome == "ok" and context is not None and context.read_audit_trail else outcome


class AuditRecorder:
    """ASGI middleware recording one audit event per GraphQL request, before the response leaves."""

    def __init__(
        self,
        app: ASGIApp,
        store: AuditStore,
        status: AuditStatus,
        path: str = "/graphql",
        max_document: int = _MAX_DOCUMENT,
    ) -> None:
        self.app, self.store, self.status, self.path = app, store, status, path
        self.max_document = max_document

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or _is_ide_page(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        holder: dict[str, Any] = {"request_id": uuid.uuid4().hex}
        scope[AUDIT_SCOPE_KEY] = holder
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

        await self.app(scope, teeing_receive, holding_send)
        auditing = time.perf_counter()
        # A request refused before its body was read (a bad token) is recorded with what it asked for too.
        while not complete and len(body) < self.max_document:
            await teeing_receive()
        event = self._event(scope, holder, bytes(body), held, started)
        try:
            await self.store.append(event)
        except AuditUnavailable as exc:
            self.status.ok, self.status.last_error = False, str(exc)
            log.error("audit write failed, response withheld: %s", exc)
            await _send_unavailable(send)
            return
        self.status.ok, self.status.last_error = True, None
        # What auditing added to this request's latency (making the event and committing it), for browsers'
        # developer tools and the benchmark: W3C Server-Timing.
        timing = f"audit;dur={(time.perf_counter() - auditing) * 1000:.2f}".encode()
        for message in held:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", timing)]}
            await send(message)

    def _event(
        self, scope: Scope, holder: dict[str, Any], body: bytes, held: list[Message], started: float
    ) -> AuditEvent:
        status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
        context = holder.get("context")
        document, variables, operation = _request(scope, body, self.max_document)
        if context is not None and context.error_codes is not None:  # the operation ran: it says how it ended
            codes, has_data = set(context.error_codes), context.has_data
            operation = operation or context.operation_name
        else:  # refused before GraphQL ran (a bad token, a body that is not JSON): read what was sent back
            response = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
            codes, has_data = _codes(response)
            operation = operation or _operation_name(document)
        principal = scope.get("principal")
        failed = tuple(f.partner for f in context.federation.ledger.failures()) if context else ()
        org_type = getattr(principal, "organisation_type", None)
        return AuditEvent(
            occurred_at=datetime.now(UTC),
            request_id=holder["request_id"],
            client_id=getattr(principal, "client_id", None),
            subject=getattr(principal, "subject", None),
            organisation=getattr(principal, "organisation", None),
            organisation_type=str(org_type) if org_type else None,
            scopes=tuple(sorted(getattr(principal, "scopes", ()) or ())),
            purpose=context.purpose if context else None,
            justification=context.justification if context else None,
            operation_name=operation,
            document=document,
            variables=redact_variables(variables),
            denied_fields=tuple(context.denied_fields) if context else (),
            disclosed=tuple(Disclosure(*d) for d in dict.fromkeys(context.disclosed)) if context else (),
            failed_partners=failed,
            outcome=_read_outcome(_outcome(status, codes, has_data, bool(failed)), context),
            http_status=status,
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def _is_ide_page(scope: Scope) -> bool:
    """GET /graphql from a browser without a query is GraphiQL's page: nothing is consulted."""
    if scope["method"] != "GET":
        return False
    return b"query=" not in scope.get("query_string", b"")


def _codes(response: bytes) -> tuple[set[str], bool]:
    try:
        payload = json.loads(response)
    except ValueError:
        return set(), False
    if not isinstance(payload, dict):
        return set(), False
    errors = payload.get("errors") or []
    codes = {e.get("extensions", {}).get("code", "") for e in errors if isinstance(e, dict)}
    return codes - {""}, payload.get("data") is not None


def _request(scope: Scope, body: bytes, max_document: int) -> tuple[str | None, Any, str | None]:
    """The document, variables and operation name as the caller sent them (POST JSON or GET query string)."""
    if scope["method"] == "GET":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        raw = query.get("variables", [None])[0]
        try:
            variables: Any = json.loads(raw) if raw else {}
        except ValueError:
            variables = {"unparsed": raw}
        return query.get("query", [None])[0], variables, query.get("operationName", [None])[0]
    try:
        payload = json.loads(body) if body else {}
    except ValueError:
        return body[:max_document].decode("utf-8", "replace"), {}, None
    if not isinstance(payload, dict):
        return None, {}, None
    document = payload.get("query")
    operation = payload.get("operationName")
    return (
        document if isinstance(document, str) else None,
        payload.get("variables") or {},
        operation if isinstance(operation, str) else None,
    )


def _operation_name(document: str | None) -> str | None:
    """The name of the document's only operation, when the caller did not say which to run."""
    if not document:
        return None
    try:
        parsed = parse(document, no_location=True)
    except GraphQLError:
        return None
    names = [d.name.value for d in parsed.definitions if isinstance(d, OperationDefinitionNode) and d.name]
    return names[0] if len(names) == 1 else None


async def _send_unavailable(send: Send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(_UNAVAILABLE)).encode())]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": _UNAVAILABLE})
