"""Alembic's environment for the hub's database: always run from `hub.migrations`, on its connection."""

from __future__ import annotations

from alembic import context

from hub.db import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations with `hub db upgrade` (hub.migrations), not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place: batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
