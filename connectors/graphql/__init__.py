"""The `graphql` connector kind: partner systems that publish their records through a GraphQL API."""

from __future__ import annotations

from connectors.graphql.connector import GraphQLConnector

__all__ = ["GraphQLConnector"]
