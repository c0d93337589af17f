"""The hub's GraphQL schema, code-first with Strawberry. `schema.graphql` is printed from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from hub.config.settings import HubSettings
from hub.schema.context import HubContext
from hub.schema.documents import DocumentLimits, Documents, DocumentValidation, PreparedDocument
from hub.schema.extensions import HubErrors
from hub.schema.limits import limit_extensions
from hub.schema.operation_checks import OperationChecks
from hub.schema.query import Query
from hub.schema.watches import Mutation, Subscription

__all__ = ["HubContext", "HubSchema", "PreparedDocument", "create_schema", "sdl"]


class _PreparedParse(SchemaExtension):
    """The operation's document is the one the endpoint parsed and checked (`hub.schema.documents`): it is
    never parsed twice."""

    def on_parse(self) -> Iterator[None]:
        prepared = getattr(self.execution_context.context, "document", None)
        if isinstance(prepared, PreparedDocument):
            self.execution_context.graphql_document = prepared.document
        yield


class HubSchema(strawberry.Schema):
    #: Parses, checks and caches the documents of this schema's operations.
    documents: Documents

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (bad input, partner failures) are answers, not incidents; `HubErrors` logs defects.
        return None


def create_schema(settings: HubSettings | None = None, **options: Any) -> HubSchema:
    """The schema with the hub's extensions, each instantiated afresh per operation.

    A document is parsed and validated once per distinct text while it stays in the schema's byte-bounded
    cache (`HubSchema.documents`), not per request: a 50-person query's document costs more to parse than
    its plan costs to execute. The document limits come from `settings` (by default, the settings' defaults).
    """
    settings = settings or HubSettings.model_construct()
    documents = Documents(
        DocumentLimits(
            max_tokens=settings.max_query_tokens,
            max_anonymous_bytes=settings.max_anonymous_query_bytes,
            max_repeated_fields=settings.max_repeated_fields,
            max_field_directives=settings.max_field_directives,
            max_directives=settings.max_directives,
        ),
        cache_bytes=settings.document_cache_bytes,
    )
    extensions = [
        *limit_extensions(settings.max_query_depth, settings.max_query_aliases),
        _PreparedParse,
        lambda: DocumentValidation(documents),
        HubErrors,
        OperationChecks,
    ]
    schema = HubSchema(
        query=Query, mutation=Mutation, subscription=Subscription, extensions=extensions, **options
    )
    schema.documents = documents
    return schema


def sdl() -> str:
    """The published contract, as committed in schema.graphql."""
    return create_schema().as_str() + "\n"
