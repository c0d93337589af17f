"""Errors the hub reports to callers, each with a stable `extensions.code`, and the catalogue of those codes.

    HubError                  base: a message for the caller and a stable code
    ├── BadUserInput          BAD_USER_INPUT: the caller must change the request (the message says how)
    ├── PersonNotFound        PERSON_NOT_FOUND: no partner holds records behind that person id
    └── RequestRefused        the request is refused whole, before any partner is asked (its code says why)

Every code a caller can receive for a request refused whole is declared once below, in `CATALOGUE`, with its
HTTP status and the audit outcome it records: malformed requests (BAD_REQUEST, METHOD_NOT_ALLOWED,
UNSUPPORTED_MEDIA_TYPE, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, OPERATION_RESOLUTION_FAILURE),
requests past a limit (REQUEST_TOO_LARGE, QUERY_TOO_LARGE, QUERY_TOO_COMPLEX: the settings
HUB_MAX_REQUEST_BYTES, HUB_MAX_QUERY_TOKENS, HUB_MAX_ANONYMOUS_QUERY_BYTES, HUB_MAX_QUERY_DEPTH,
HUB_MAX_QUERY_ALIASES, HUB_MAX_REPEATED_FIELDS), refused tokens (UNAUTHENTICATED) and the hub's own
failures (SERVICE_UNAVAILABLE, AUDIT_UNAVAILABLE, INTERNAL_SERVER_ERROR).

Partner failures are not raised to the caller at all: they become one error per failed partner, with the
codes of `connectors.errors` (PARTNER_UNAVAILABLE, PARTNER_TIMEOUT, PARTNER_BAD_RESPONSE), beside the data
the other partners returned. Anything else is a defect and reaches the caller only as INTERNAL_SERVER_ERROR.

A request error (one refused before its operation ran) is answered as GraphQL over HTTP says: a JSON body
with `errors` and no `data` (`error_body`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AUDIT_UNAVAILABLE",
    "BAD_REQUEST",
    "CATALOGUE",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "LIMIT_CODES",
    "METHOD_NOT_ALLOWED",
    "OPERATION_RESOLUTION_FAILURE",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_LARGE",
    "REQUEST_TOO_LARGE",
    "SERVICE_UNAVAILABLE",
    "UNAUTHENTICATED",
    "UNSUPPORTED_MEDIA_TYPE",
    "BadUserInput",
    "ErrorCode",
    "HubError",
    "PersonNotFound",
    "RequestRefused",
    "error_body",
]


@dataclass(frozen=True)
class ErrorCode:
    """A code a request can be refused with: its name (the `extensions.code`), its HTTP status, and the
    outcome its audit event records."""

    name: str
    status: int
    outcome: str

    def __str__(self) -> str:
        return self.name


BAD_REQUEST = ErrorCode("BAD_REQUEST", 400, "invalid-request")
METHOD_NOT_ALLOWED = ErrorCode("METHOD_NOT_ALLOWED", 405, "invalid-request")
UNSUPPORTED_MEDIA_TYPE = ErrorCode("UNSUPPORTED_MEDIA_TYPE", 415, "invalid-request")
GRAPHQL_PARSE_FAILED = ErrorCode("GRAPHQL_PARSE_FAILED", 400, "invalid-request")
GRAPHQL_VALIDATION_FAILED = ErrorCode("GRAPHQL_VALIDATION_FAILED", 400, "invalid-request")
OPERATION_RESOLUTION_FAILURE = ErrorCode("OPERATION_RESOLUTION_FAILURE", 400, "invalid-request")
REQUEST_TOO_LARGE = ErrorCode("REQUEST_TOO_LARGE", 413, "limit-exceeded")
QUERY_TOO_LARGE = ErrorCode("QUERY_TOO_LARGE", 400, "limit-exceeded")
QUERY_TOO_COMPLEX = ErrorCode("QUERY_TOO_COMPLEX", 400, "limit-exceeded")
UNAUTHENTICATED = ErrorCode("UNAUTHENTICATED", 401, "unauthenticated")
SERVICE_UNAVAILABLE = ErrorCode("SERVICE_UNAVAILABLE", 503, "error")
AUDIT_UNAVAILABLE = ErrorCode("AUDIT_UNAVAILABLE", 503, "error")
INTERNAL_SERVER_ERROR = ErrorCode("INTERNAL_SERVER_ERROR", 500, "error")

#: Every code a request can be refused whole with, by name.
CATALOGUE: dict[str, ErrorCode] = {
    code.name: code
    for code in (
        BAD_REQUEST,
        METHOD_NOT_ALLOWED,
        UNSUPPORTED_MEDIA_TYPE,
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        OPERATION_RESOLUTION_FAILURE,
        REQUEST_TOO_LARGE,
        QUERY_TOO_LARGE,
        QUERY_TOO_COMPLEX,
        UNAUTHENTICATED,
        SERVICE_UNAVAILABLE,
        AUDIT_UNAVAILABLE,
        INTERNAL_SERVER_ERROR,
    )
}
#: The names of the codes of a request refused for going past a limit.
LIMIT_CODES = frozenset(c.name for c in CATALOGUE.values() if c.outcome == "limit-exceeded")


def error_body(errors: Sequence[tuple[str, ErrorCode | str, dict[str, Any]]]) -> bytes:
    """A request error's JSON body: `{"errors": [...]}` with no `data` (GraphQL over HTTP).

    Args:
        errors: (message, code, further extensions) for each error.
    """
    rendered = [
        {"message": message, "extensions": {"code": str(code), **details}}
        for message, code, details in errors
    ]
    return json.dumps({"errors": rendered}, separators=(",", ":")).encode("utf-8")


class HubError(Exception):
    """An error meant for the caller. graphql-core copies `extensions` onto the GraphQL error."""

    code = "HUB_ERROR"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **details}


class BadUserInput(HubError):
    code = "BAD_USER_INPUT"


class PersonNotFound(HubError):
    code = "PERSON_NOT_FOUND"


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

    def body(self) -> bytes:
        return error_body([(self.message, self.code, self.details)])
