"""Watches on people, and where each partner's change feed was last read.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch",
        sa.Column("watch_id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("organisation", sa.String(200), nullable=False),
        sa.Column("organisation_type", sa.String(64), nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("kinds", sa.Text, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=True),
        sa.Column("justification", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_watch_client_id", "watch", ["client_id"])
    op.create_index("ix_watch_live", "watch", ["expires_at", "cancelled_at"])
    op.create_table(
        "partner_cursor",
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_by", sa.String(120), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("partner_cursor")
    op.drop_index("ix_watch_live", table_name="watch")
    op.drop_index("ix_watch_client_id", table_name="watch")
    op.drop_table("watch")
