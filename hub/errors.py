"""Errors the hub reports to GraphQL callers, each with a stable `extensions.code`.

    HubError                  base: a message for the caller and a stable code
    ├── BadUserInput          BAD_USER_INPUT: the caller must change the request (the message says how)
    └── PersonNotFound        PERSON_NOT_FOUND: no partner holds records behind that person id

A request past one of the hub's limits (`hub/limits.py`, `hub/schema/limits.py`) is refused before it runs:
REQUEST_TOO_LARGE (a body over HUB_MAX_REQUEST_BYTES, HTTP 413), QUERY_TOO_LARGE (a document of more
tokens than HUB_MAX_QUERY_TOKENS), QUERY_TOO_COMPLEX (deeper than HUB_MAX_QUERY_DEPTH, or more aliases
than HUB_MAX_QUERY_ALIASES).

Partner failures are not raised to the caller at all: they become one error per failed partner, with the
codes of `connectors.errors` (PARTNER_UNAVAILABLE, PARTNER_TIMEOUT, PARTNER_BAD_RESPONSE), beside the data
the other partners returned. Anything else is a defect and reaches the caller only as INTERNAL_SERVER_ERROR.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL_SERVER_ERROR",
    "LIMIT_CODES",
    "QUERY_TOO_COMPLEX",
    "QUERY_TOO_LARGE",
    "REQUEST_TOO_LARGE",
    "BadUserInput",
    "HubError",
    "PersonNotFound",
]

GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
#: The codes of a request refused for going past a limit.
LIMIT_CODES = frozenset({REQUEST_TOO_LARGE, QUERY_TOO_LARGE, QUERY_TOO_COMPLEX})


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
