"""The tables of the hub's authorization server: OAuth clients, the keys that sign access tokens, and the keys
that sign person ids.

All live in the hub's own database (`hub.db.metadata`), so every replica sharing it knows the same clients
and signs and validates with the same keys.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text, false

from hub.db import metadata

__all__ = ["oauth_client", "person_id_key", "signing_key", "trusted_document"]

oauth_client = Table(
    "oauth_client",
    metadata,
    Column("client_id", String(64), primary_key=True),
    # scrypt$N$r$p$salt$hash: never the secret itself (hub.auth.clients).
    Column("secret_hash", String(255), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("organisation_type", String(64), nullable=False),
    # Space-separated, as in the `scope` claim.
    Column("scopes", Text, nullable=False),
    # Space-separated purpose codes the client may state; NULL: any purpose.
    Column("purposes", Text, nullable=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    # Its rate limits ("20/second;1000/hour", the `limits` notation); NULL: HUB_RATE_LIMIT.
    Column("rate_limit", String(200), nullable=True),
    # Its demand-control budget per operation; NULL: HUB_MAX_QUERY_COST.
    Column("max_query_cost", Integer, nullable=True),
    # Whether it may run only the documents registered for it (`trusted_document`).
    Column("trusted_documents_only", Boolean, nullable=False, server_default=false()),
)

trusted_document = Table(
    "trusted_document",
    metadata,
    Column("client_id", String(64), primary_key=True),
    # "sha256:" + the hex SHA-256 of the document's text, as clients send it (`documentId`).
    Column("document_id", String(71), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

signing_key = Table(
    "signing_key",
    metadata,
    # RFC 7638 thumbprint of the public key.
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    # JWK JSON. The private half is as safe as the database: see docs/authentication.md.
    Column("private_jwk", Text, nullable=False),
    Column("public_jwk", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set when a newer key took over signing; the key still validates for a token's lifetime after.
    Column("retired_at", DateTime(timezone=True), nullable=True),
)

person_id_key = Table(
    "person_id_key",
    metadata,
    # A short random id, written into every person id the key signs.
    Column("kid", String(16), primary_key=True),
    # 32 random bytes, hex: the HMAC-SHA256 key. As safe as the database, like the signing keys.
    Column("secret", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set when a newer key took over; ids it signed stay readable for HUB_PERSON_ID_LIFETIME_DAYS after.
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
