"""Each watch source record's blocking keys (PNC ID, date of birth), for matching new people records to
watches by entity resolution; `keyed_at` says they have been read from the partner.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watch_source") as batch:
        batch.add_column(sa.Column("pnc_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("date_of_birth", sa.Date, nullable=True))
        batch.add_column(sa.Column("keyed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_watch_source_pnc", "watch_source", ["pnc_id"])
    op.create_index("ix_watch_source_birth", "watch_source", ["date_of_birth"])
    op.create_index("ix_watch_source_unkeyed", "watch_source", ["keyed_at"])


def downgrade() -> None:
    op.drop_index("ix_watch_source_unkeyed", table_name="watch_source")
    op.drop_index("ix_watch_source_birth", table_name="watch_source")
    op.drop_index("ix_watch_source_pnc", table_name="watch_source")
    with op.batch_alter_table("watch_source") as batch:
        batch.drop_column("keyed_at")
        batch.drop_column("date_of_birth")
        batch.drop_column("pnc_id")
