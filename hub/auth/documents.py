"""Trusted documents: the GraphQL documents registered for a client, which it runs by hash.

A client in trusted-documents mode (`hub clients add --trusted-documents-only`, or every client where
HUB_TRUSTED_DOCUMENTS_ONLY is on) may run only documents an operator registered for it (`hub documents add`),
sent as `{"documentId": "sha256:<hex>"}` (the GraphQL trusted-documents convention) or, for older clients,
as Apollo's `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}}`. Any client may
run its registered documents that way. A document's id is the SHA-256 of its text, so a registered document
cannot be changed under its id; the hub looks it up per client, so one client's documents are not another's.

Look-ups are cached in memory for `cache_seconds` (HUB_CLIENT_CACHE_SECONDS): a removal reaches every
replica within that time, as a revocation does.
"""

from __future__ import annotations

import builtins
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.clients import ClientError, UnknownClient
from hub.auth.tables import oauth_client, trusted_document
from hub.db import as_utc

__all__ = ["DOCUMENT_ID", "TrustedDocument", "TrustedDocuments", "document_id_of"]

#: A document id as clients send it: "sha256:" and 64 lower-case hex digits.
DOCUMENT_ID = re.compile(r"sha256:[0-9a-f]{64}")


def document_id_of(text: str) -> str:
    """The id of a document: `sha256:` and the hex SHA-256 of its UTF-8 text, exactly as registered."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TrustedDocument:
    """A document registered for a client."""

    client_id: str
    document_id: str
    name: str
    document: str
    created_at: datetime


def _record(row: Any) -> TrustedDocument:
    return TrustedDocument(row.client_id, row.document_id, row.name, row.document, as_utc(row.created_at))


class TrustedDocuments:
    """The registered documents, in the hub's database.

    Args:
        engine: The hub's database.
        cache_seconds: How long a look-up is trusted from memory (0: ask the database every time).
    """

    def __init__(self, engine: AsyncEngine, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: LRUCache[tuple[str, str], tuple[str | None, float]] = LRUCache(maxsize=10_000)

    async def add(self, client_id: str, document: str, name: str = "") -> TrustedDocument:
        """Register `document` for a client; registering the same text again changes nothing.

        Raises:
            UnknownClient: there is no such client.
            ClientError: the document is empty.
        """
        if not document.strip():
            raise ClientError("The document is empty.")
        document_id = document_id_of(document)
        where = (trusted_document.c.client_id == client_id, trusted_document.c.document_id == document_id)
        record = TrustedDocument(client_id, document_id, name.strip()[:200], document, datetime.now(UTC))
        try:
            async with self.engine.begin() as conn:
                client = select(oauth_client.c.client_id).where(oauth_client.c.client_id == client_id)
                if await conn.scalar(client) is None:
                    raise UnknownClient(f"No client {client_id!r}; `hub clients list` shows the clients.")
                row = (await conn.execute(select(trusted_document).where(*where))).first()
                if row is not None:
                    return _record(row)
                await conn.execute(
                    trusted_document.insert().values(
                        client_id=client_id,
                        document_id=document_id,
                        name=record.name,
                        document=document,
                        created_at=record.created_at,
                    )
                )
        except IntegrityError:  # registered by another process meanwhile: the same text, so the same record
            pass
        self._cache.pop((client_id, document_id), None)
        return record

    async def get(self, client_id: str, document_id: str) -> TrustedDocument | None:
        """The document registered for the client under this id, if any (from the database)."""
        where = (trusted_document.c.client_id == client_id, trusted_document.c.document_id == document_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(trusted_document).where(*where))).first()
        return _record(row) if row is not None else None

    async def text(self, client_id: str, document_id: str) -> str | None:
        """The text registered for the client under this id, or None: from memory within `cache_seconds`."""
        now = time.monotonic()
        cached = self._cache.get((client_id, document_id))
        if cached is not None and now - cached[1] < self.cache_seconds:
            return cached[0]
        record = await self.get(client_id, document_id)
        text = record.document if record is not None else None
        if self.cache_seconds > 0:
            self._cache[client_id, document_id] = (text, now)
        return text

    async def list(self, client_id: str | None = None) -> builtins.list[TrustedDocument]:
        """The registered documents (of one client, or of all), by client and name."""
        query = select(trusted_document).order_by(trusted_document.c.client_id, trusted_document.c.name)
        if client_id is not None:
            query = query.where(trusted_document.c.client_id == client_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            TrustedDocument(r.client_id, r.document_id, r.name, r.document, as_utc(r.created_at))
            for r in rows
        ]

    async def remove(self, client_id: str, document_id: str) -> None:
        """Unregister a document: the client can no longer run it (within `cache_seconds` everywhere).

        Raises:
            ClientError: the client has no such document.
        """
        where = (trusted_document.c.client_id == client_id, trusted_document.c.document_id == document_id)
        async with self.engine.begin() as conn:
            removed = (await conn.execute(delete(trusted_document).where(*where))).rowcount
        self._cache.pop((client_id, document_id), None)
        if not removed:
            raise ClientError(
                f"Client {client_id!r} has no document {document_id[:80]!r}; "
                f"`hub documents list --client {client_id}` shows its documents."
            )
