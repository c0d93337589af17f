"""Every code a caller can receive, declared once (`CATALOGUE`), and the errors that carry them.

    HubError                  an error in a GraphQL answer: a message for the caller and a code
    ├── BadUserInput          BAD_USER_INPUT: the caller must change the request (the message says how)
    ├── PersonNotFound        PERSON_NOT_FOUND: no partner holds records behind that person id
    └── ...                   access checks (hub.access, hub.schema.operation_checks), person ids
    RequestRefused            the request is refused whole, before its operation runs (a request error)

Each `ErrorCode` says the HTTP status of a request refused whole with it (200 for a code that only ever
stands beside an answer), the outcome the audit trail records when it is why a request gave no data, and
whether its message is safe to show (all are: the hub writes its messages for the caller; the one code
that hides a defect is INTERNAL_SERVER_ERROR). `tests/hub/test_error_catalogue.py` fails when a code is
used anywhere without being declared here.

Request errors: malformed requests (BAD_REQUEST, METHOD_NOT_ALLOWED,
UNSUPPORTED_MEDIA_TYPE, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE),
requests past a limit (REQUEST_TOO_LARGE, QUERY_TOO_LARGE, QUERY_TOO_COMPLEX, QUERY_TOO_EXPENSIVE: the
settings HUB_MAX_REQUEST_BYTES, HUB_MAX_QUERY_TOKENS, HUB_MAX_ANONYMOUS_QUERY_BYTES, HUB_MAX_QUERY_DEPTH,
HUB_MAX_QUERY_ALIASES, HUB_MAX_REPEATED_FIELDS, HUB_MAX_QUERY_COST), requests over a rate limit
(RATE_LIMITED), refused tokens (UNAUTHENTICATED) and the hub's own failures (SERVICE_UNAVAILABLE,
AUDIT_UNAVAILABLE, RATE_LIMITS_UNAVAILABLE, INTERNAL_SERVER_ERROR).

Partner failures are not raised to the caller at all: they become one error per failed partner, with the
codes of `connectors.errors` (PARTNER_UNAVAILABLE, PARTNER_TIMEOUT, PARTNER_BAD_RESPONSE), beside the data
the other partners returned. Anything else is a defect and reaches the caller only as INTERNAL_SERVER_ERROR.

A request error (one refused before its operation ran) is answered as GraphQL over HTTP says: a JSON body
with `errors` and no `data` (`error_body`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.errors import PartnerBadResponse, PartnerCircuitOpen, PartnerTimeout, PartnerUnavailable

__all__ = [
    "AUDIT_UNAVAILABLE",
    "BAD_REQUEST",
    "BAD_USER_INPUT",
    "CATALOGUE",
    "DOCUMENT_ERRORS",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "INTROSPECTION_NOT_ALLOWED",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "OPERATION_RESOLUTION_FAILURE",
    "PARTNER_CODES",
    "PERSISTED_QUERY_NOT_FOUND",
    "PERSON_ID_EXPIRED",
    "PERSON_ID_INVALID",
    "PERSON_ID_STALE",
    "PERSON_NOT_FOUND",
    "PURPOSE_NOT_ALLOWED",
    "PURPOSE_REQUIRED",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_EXPENSIVE",
    "QUERY_TOO_LARGE",
    "RATE_LIMITED",
    "RATE_LIMITS_UNAVAILABLE",
    "REQUEST_TOO_LARGE",
    "SERVICE_UNAVAILABLE",
    "TOO_MANY_WATCHES",
    "TRUSTED_DOCUMENTS_ONLY",
    "UNAUTHENTICATED",
    "UNAUTHORIZED_FIELD_OR_TYPE",
    "UNSUPPORTED_MEDIA_TYPE",
    "WATCH_NOT_ALLOWED",
    "WATCH_NOT_FOUND",
    "BadUserInput",
    "ErrorCode",
    "HubError",
    "PersonNotFound",
    "RequestRefused",
    "error_body",
    "render",
]


_NO_DATA = object()


@dataclass(frozen=True)
class ErrorCode:
    """A code a caller can receive: its name (the `extensions.code`), the HTTP status of a request refused
    whole with it, the outcome its audit event records, and whether the message is shown as written."""

    name: str
    status: int
    outcome: str
    shown: bool = True

    def __str__(self) -> str:
        return self.name


BAD_REQUEST = ErrorCode("BAD_REQUEST", 400, "invalid-request")
METHOD_NOT_ALLOWED = ErrorCode("METHOD_NOT_ALLOWED", 405, "invalid-request")
UNSUPPORTED_MEDIA_TYPE = ErrorCode("UNSUPPORTED_MEDIA_TYPE", 415, "invalid-request")
NOT_ACCEPTABLE = ErrorCode("NOT_ACCEPTABLE", 406, "invalid-request")
GRAPHQL_PARSE_FAILED = ErrorCode("GRAPHQL_PARSE_FAILED", 400, "invalid-request")
GRAPHQL_VALIDATION_FAILED = ErrorCode("GRAPHQL_VALIDATION_FAILED", 400, "invalid-request")
OPERATION_RESOLUTION_FAILURE = ErrorCode("OPERATION_RESOLUTION_FAILURE", 400, "invalid-request")
REQUEST_TOO_LARGE = ErrorCode("REQUEST_TOO_LARGE", 413, "limit-exceeded")
QUERY_TOO_LARGE = ErrorCode("QUERY_TOO_LARGE", 400, "limit-exceeded")
QUERY_TOO_COMPLEX = ErrorCode("QUERY_TOO_COMPLEX", 400, "limit-exceeded")
QUERY_TOO_EXPENSIVE = ErrorCode("QUERY_TOO_EXPENSIVE", 400, "limit-exceeded")
RATE_LIMITED = ErrorCode("RATE_LIMITED", 429, "limit-exceeded")
PERSISTED_QUERY_NOT_FOUND = ErrorCode("PERSISTED_QUERY_NOT_FOUND", 400, "invalid-request")
TRUSTED_DOCUMENTS_ONLY = ErrorCode("TRUSTED_DOCUMENTS_ONLY", 403, "denied")
RATE_LIMITS_UNAVAILABLE = ErrorCode("RATE_LIMITS_UNAVAILABLE", 503, "error")
UNAUTHENTICATED = ErrorCode("UNAUTHENTICATED", 401, "unauthenticated")
SERVICE_UNAVAILABLE = ErrorCode("SERVICE_UNAVAILABLE", 503, "error")
AUDIT_UNAVAILABLE = ErrorCode("AUDIT_UNAVAILABLE", 503, "error")
INTERNAL_SERVER_ERROR = ErrorCode("INTERNAL_SERVER_ERROR", 500, "error", shown=False)
# Errors beside (or instead of) data in an answer to an operation that ran.
BAD_USER_INPUT = ErrorCode("BAD_USER_INPUT", 400, "invalid-request")
PERSON_NOT_FOUND = ErrorCode("PERSON_NOT_FOUND", 200, "ok")
PERSON_ID_INVALID = ErrorCode("PERSON_ID_INVALID", 200, "invalid-request")
PERSON_ID_EXPIRED = ErrorCode("PERSON_ID_EXPIRED", 200, "invalid-request")
PERSON_ID_STALE = ErrorCode("PERSON_ID_STALE", 200, "invalid-request")
PURPOSE_REQUIRED = ErrorCode("PURPOSE_REQUIRED", 200, "purpose-refused")
PURPOSE_NOT_ALLOWED = ErrorCode("PURPOSE_NOT_ALLOWED", 200, "purpose-refused")
UNAUTHORIZED_FIELD_OR_TYPE = ErrorCode("UNAUTHORIZED_FIELD_OR_TYPE", 200, "denied")
INTROSPECTION_NOT_ALLOWED = ErrorCode("INTROSPECTION_NOT_ALLOWED", 200, "denied")
# Watches (hub.schema.watches): one the caller does not have, one its organisation may not make, too many.
WATCH_NOT_FOUND = ErrorCode("WATCH_NOT_FOUND", 200, "invalid-request")
WATCH_NOT_ALLOWED = ErrorCode("WATCH_NOT_ALLOWED", 200, "denied")
TOO_MANY_WATCHES = ErrorCode("TOO_MANY_WATCHES", 200, "limit-exceeded")
# A partner that failed: named beside the other partners' data (`connectors.errors`).
PARTNER_CODES = {
    cls.code: ErrorCode(cls.code, 200, "partial")
    for cls in (PartnerUnavailable, PartnerTimeout, PartnerBadResponse, PartnerCircuitOpen)
}

#: Every code a caller can receive, by name.
CATALOGUE: dict[str, ErrorCode] = {
    **PARTNER_CODES,
    **{
        code.name: code
        for code in (
            BAD_REQUEST,
            METHOD_NOT_ALLOWED,
            UNSUPPORTED_MEDIA_TYPE,
            NOT_ACCEPTABLE,
            GRAPHQL_PARSE_FAILED,
            GRAPHQL_VALIDATION_FAILED,
            OPERATION_RESOLUTION_FAILURE,
            REQUEST_TOO_LARGE,
            QUERY_TOO_LARGE,
            QUERY_TOO_COMPLEX,
            QUERY_TOO_EXPENSIVE,
            RATE_LIMITED,
            RATE_LIMITS_UNAVAILABLE,
            PERSISTED_QUERY_NOT_FOUND,
            TRUSTED_DOCUMENTS_ONLY,
            UNAUTHENTICATED,
            SERVICE_UNAVAILABLE,
            AUDIT_UNAVAILABLE,
            INTERNAL_SERVER_ERROR,
            BAD_USER_INPUT,
            PERSON_NOT_FOUND,
            PERSON_ID_INVALID,
            PERSON_ID_EXPIRED,
            PERSON_ID_STALE,
            PURPOSE_REQUIRED,
            PURPOSE_NOT_ALLOWED,
            UNAUTHORIZED_FIELD_OR_TYPE,
            INTROSPECTION_NOT_ALLOWED,
            WATCH_NOT_FOUND,
            WATCH_NOT_ALLOWED,
            TOO_MANY_WATCHES,
        )
    },
}
#: The codes of a document that cannot run (it does not parse or validate, or is past a document limit): a
#: client that accepts only `application/json` gets them with status 200, as GraphQL over HTTP says; one
#: that accepts `application/graphql-response+json` gets the code's own 4xx.
DOCUMENT_ERRORS = frozenset(
    {
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        OPERATION_RESOLUTION_FAILURE,
        QUERY_TOO_LARGE,
        QUERY_TOO_COMPLEX,
        QUERY_TOO_EXPENSIVE,
        PERSISTED_QUERY_NOT_FOUND,
    }
)


def render(errors: Sequence[Mapping[str, Any]], data: Any = _NO_DATA, extensions: Any = None) -> bytes:
    """A GraphQL response's JSON body: `errors` (each already `{"message", "extensions", ...}`), and `data`
    only when the operation ran (a request error has no `data` entry: GraphQL over HTTP)."""
    body: dict[str, Any] = {} if data is _NO_DATA else {"data": data}
    if errors:
        body["errors"] = list(errors)
    if extensions:
        body["extensions"] = extensions
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def error_body(errors: Sequence[tuple[str, ErrorCode | str, dict[str, Any]]]) -> bytes:
    """A request error's JSON body from (message, code, further extensions) for each error."""
    return render([{"message": m, "extensions": {"code": str(code), **more}} for m, code, more in errors])


class HubError(Exception):
    """An error meant for the caller. graphql-core copies `extensions` onto the GraphQL error. Each subclass
    names its code from `CATALOGUE`."""

    code: str = INTERNAL_SERVER_ERROR.name

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **details}


class BadUserInput(HubError):
    code = BAD_USER_INPUT.name


class PersonNotFound(HubError):
    code = PERSON_NOT_FOUND.name


class RequestRefused(Exception):
    """The request is refused whole with `code`, before its operation runs (a request error).

    Args:
        code: Why, from `CATALOGUE`.
        message: What the caller should know, naming the limit or the fix.
        details: Further `extensions` (e.g. the limit's value).
    """

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details
        #: HTTP headers the refusal carries (Retry-After, Allow).
        self.headers: dict[str, str] = {}

    def body(self) -> bytes:
        return error_body([(self.message, self.code, self.details)])
