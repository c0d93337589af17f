"""The watches' tables, in the hub's own database: every replica reads the same watches."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from hub.db import metadata

__all__ = ["partner_cursor", "watch", "watch_source", "webhook_delivery", "webhook_endpoint"]

watch = Table(
    "watch",
    metadata,
    Column("watch_id", String(36), primary_key=True),
    # Who watches: the OAuth client (its scopes and record rules are read again each time a watch fires).
    Column("client_id", String(64), nullable=False, index=True),
    Column("subject", Text, nullable=True),
    Column("organisation", String(200), nullable=False),
    Column("organisation_type", String(64), nullable=False),
    # The person watched, as the partner records their person id names: JSON [[partner, record id], ...].
    Column("sources", Text, nullable=False),
    # The kinds of record the watch is for, space-separated ("custody safeguarding").
    Column("kinds", Text, nullable=False),
    Column("purpose", String(64), nullable=True),
    Column("justification", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
)
Index("ix_watch_live", watch.c.expires_at, watch.c.cancelled_at)

#: Each watch's source records, one row each: what a change about a partner's record is matched by (indexed).
watch_source = Table(
    "watch_source",
    metadata,
    Column("watch_id", String(36), ForeignKey("watch.watch_id", ondelete="CASCADE"), primary_key=True),
    Column("partner", String(64), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    # The record's blocking keys, read from the partner by the poller (keyed_at: when; NULL: not yet): a new
    # people record sharing one is compared with the watched person's records by entity resolution. Names
    # are not kept: they are read from the partners when a candidate appears.
    Column("pnc_id", String(16), nullable=True),
    Column("date_of_birth", Date, nullable=True),
    Column("keyed_at", DateTime(timezone=True), nullable=True),
    Index("ix_watch_source_record", "partner", "record_id"),
    Index("ix_watch_source_pnc", "pnc_id"),
    Index("ix_watch_source_birth", "date_of_birth"),
    Index("ix_watch_source_unkeyed", "keyed_at"),
)

#: Where each partner's change feed was last read up to (the connector's opaque cursor; NULL: not yet), and
#: which hub process may read it until when (a lease: one reader per partner, however many replicas).
partner_cursor = Table(
    "partner_cursor",
    metadata,
    Column("partner", String(64), primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("leased_by", String(120), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
)

#: A client's webhook (hub.watches.webhooks): where its fired watches are POSTed, and the signing secret.
webhook_endpoint = Table(
    "webhook_endpoint",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("url", Text, nullable=False),
    # Standard Webhooks' "whsec_" + base64 secret: the hub must sign with it, so it is kept as given.
    Column("secret", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: Each fired watch to send to a webhook: pending (with its next attempt), delivered, or dead-lettered.
webhook_delivery = Table(
    "webhook_delivery",
    metadata,
    Column("delivery_id", String(36), primary_key=True),  # the event's id: webhook-id
    Column("client_id", String(64), nullable=False, index=True),
    Column("payload", Text, nullable=False),
    # pending, delivered, dead
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
)
