"""The hub's GraphQL schema, code-first with Strawberry. `schema.graphql` is printed from it."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from hub.schema.context import HubContext
from hub.schema.extensions import HubErrors
from hub.schema.guard import AccessGuard
from hub.schema.query import Query

__all__ = ["HubContext", "HubSchema", "create_schema", "sdl"]


class HubSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors (bad input, partner failures) are answers, not incidents; `HubErrors` logs defects.
        return None


def create_schema(**options: Any) -> HubSchema:
    """The schema with the hub's extensions, each instantiated afresh per operation."""
    return HubSchema(query=Query, extensions=[HubErrors, AccessGuard], **options)


def sdl() -> str:
    """The published contract, as committed in schema.graphql."""
    return create_schema().as_str() + "\n"
