"""The `rest` connector kind: a partner REST/JSON API behind OAuth2 client credentials, through httpx."""

from __future__ import annotations

from connectors.rest.connector import MAX_IDS_PER_REQUEST, RestConnector

__all__ = ["MAX_IDS_PER_REQUEST", "RestConnector"]
