"""Each watch's source records in a table of their own, indexed: a change is matched to watches by index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_source",
        sa.Column(
            "watch_id", sa.String(36), sa.ForeignKey("watch.watch_id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("partner", sa.String(64), primary_key=True),
        sa.Column("record_id", sa.String(200), primary_key=True),
    )
    op.create_index("ix_watch_source_record", "watch_source", ["partner", "record_id"])
    # Watches made before: their sources, from the watch's own JSON.
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT watch_id, sources FROM watch")).all()
    table = sa.table("watch_source", sa.column("watch_id"), sa.column("partner"), sa.column("record_id"))
    values = [
        {"watch_id": watch_id, "partner": partner, "record_id": record_id}
        for watch_id, sources in rows
        for partner, record_id in dict.fromkeys(tuple(s) for s in json.loads(sources))
    ]
    if values:
        op.bulk_insert(table, values)


def downgrade() -> None:
    op.drop_index("ix_watch_source_record", table_name="watch_source")
    op.drop_table("watch_source")
