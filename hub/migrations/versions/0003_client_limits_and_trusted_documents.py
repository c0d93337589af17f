"""Client limits and trusted documents: each client's rate limit, cost budget and trusted-documents mode,
and the documents registered for it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("oauth_client", sa.Column("rate_limit", sa.String(200), nullable=True))
    op.add_column("oauth_client", sa.Column("max_query_cost", sa.Integer(), nullable=True))
    op.add_column(
        "oauth_client",
        sa.Column("trusted_documents_only", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "trusted_document",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("document_id", sa.String(71), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("trusted_document")
    with op.batch_alter_table("oauth_client") as batch:
        batch.drop_column("trusted_documents_only")
        batch.drop_column("max_query_cost")
        batch.drop_column("rate_limit")
