"""Cross-cutting work on every operation: stable error codes, and the partners' outcomes.

`classify` gives an error its `extensions.code` and masks anything the hub did not mean to say (an internal
error never shows a traceback, SQL or a partner URL); the endpoint applies it to every error of an answer,
in one place. `HubErrors` runs after each operation: it appends one error per failed partner, naming it;
`extensions.partners` lists every partner the request touched, and `extensions.cost` the operation's
estimated cost (`hub.schema.cost`) beside the caller's limit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from connectors.errors import PartnerCircuitOpen
from hub.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    BadUserInput,
    HubError,
)
from hub.schema.context import HubContext

__all__ = ["HubErrors", "classify"]

log = logging.getLogger(__name__)

# graphql-core words its input-coercion errors like this; they are the caller's to fix, not the schema's.
_INPUT_ERRORS = ("got invalid value", "Expected value of type", "cannot represent", "Cannot represent")


def classify(error: GraphQLError, request_id: str | None = None) -> GraphQLError:
    """The error as the caller should see it, with a stable `extensions.code`. A defect is masked: the
    caller gets a generic message with the request id (the log has the rest under that id), never the
    exception's text, which may hold SQL, a partner's URL or a secret."""
    original = error.original_error
    if isinstance(original, HubError):
        return error
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            code = GRAPHQL_PARSE_FAILED.name
        elif any(marker in error.message for marker in _INPUT_ERRORS):
            code = BadUserInput.code
        else:
            code = GRAPHQL_VALIDATION_FAILED.name
        extensions = {**(error.extensions or {}), "code": (error.extensions or {}).get("code", code)}
        return GraphQLError(
            error.message, error.nodes, error.source, error.positions, error.path, None, extensions
        )
    if isinstance(original, GraphQLError) and original.original_error is None and error.path is None:
        return classify(original, request_id)
    log.error("unexpected error at %s (request %s)", error.path, request_id, exc_info=original)
    return GraphQLError(
        f"Internal server error (request {request_id})." if request_id else "Internal server error.",
        error.nodes,
        error.source,
        error.positions,
        error.path,
        None,
        {"code": INTERNAL_SERVER_ERROR.name, **({"requestId": request_id} if request_id else {})},
    )


class HubErrors(SchemaExtension):
    def _context(self) -> HubContext | None:
        context = self.execution_context.context
        return context if isinstance(context, HubContext) else None

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None:
            return
        context = self._context()
        errors = list(result.errors or [])  # the endpoint classifies them all (`classify`)
        if context is not None:
            for failure in context.federation.ledger.failures():
                title = context.federation.partners.configs[failure.partner].display_name
                what = "was not asked" if isinstance(failure, PartnerCircuitOpen) else "did not answer"
                errors.append(
                    GraphQLError(
                        f"{title} ({failure.partner}) {what}: {failure.public_detail}. "
                        "Its records are missing from this answer.",
                        extensions={"code": failure.code, "partner": failure.partner},
                    )
                )
        result.errors = errors or None

    def get_results(self) -> dict[str, Any]:
        context = self._context()
        if context is None:
            return {}
        results: dict[str, Any] = {}
        if context.cost is not None:
            results["cost"] = context.cost.as_extension(context.cost_limit)
        if context.federation.ledger.statuses():
            results["partners"] = [s.as_extension() for s in context.federation.ledger.statuses()]
        return results
