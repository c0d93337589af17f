"""The hub's GraphQL schema, code-first with Strawberry. `schema.graphql` is printed from it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.types import ExecutionContext

from hub.schema.context import HubContext
from hub.schema.extensions import HubErrors
from hub.schema.guard import AccessGuard
from hub.schema.limits import limit_extensions
from hub.schema.query import Query
from hub.settings import HubSettings

__all__ = ["HubContext", "HubSchema", "create_schema", "sdl"]


class _ParserCache(ParserCache):
    """Strawberry's parse cache, except that a document that does not parse is left to Strawberry's own
    parse, which reports it as the caller's error (GRAPHQL_PARSE_FAILED) through the hub's extensions; the
    cache would raise it from the extension hook, past them."""

    def on_parse(self) -> Iterator[None]:
        with contextlib.suppress(GraphQLError):
            context = self.execution_context
            context.graphql_document = self.cached_parse_document(context.query, **context.parse_options)
        yield


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (bad input, partner failures) are answers, not incidents; `HubErrors` logs defects.
        return None


#: Distinct documents whose parse and validation are kept (callers send the same few again and again).
DOCUMENT_CACHE_SIZE = 256


def create_schema(settings: HubSettings | None = None, **options: Any) -> HubSchema:
    """The schema with the hub's extensions, each instantiated afresh per operation.

    Parsing and validating a document is done once per distinct document text (Strawberry's LRU caches),
    not per request: a 50-person query's document costs more to parse than its plan costs to execute.
    The document limits come from `settings` (by default, the settings' defaults).
    """
    settings = settings or HubSettings.model_construct()
    extensions = [
        *limit_extensions(settings.max_query_depth, settings.max_query_aliases, settings.max_query_tokens),
        lambda: _ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),
        HubErrors,
        AccessGuard,
    ]
    return HubSchema(query=Query, extensions=extensions, **options)


def sdl() -> str:
    """The published contract, as committed in schema.graphql."""
    return create_schema().as_str() + "\n"
