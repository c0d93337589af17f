"""The `sql` connector kind: a partner's relational database, read through SQLAlchemy async.

`SqlConnector` reads any database SQLAlchemy reaches with an async driver; `SqlMapping` says where the
partner keeps each canonical field (its defaults are a Niche-style nominal layout).
"""

from __future__ import annotations

from connectors.sql.connector import SqlConnector
from connectors.sql.mapping import SqlMapping

__all__ = ["SqlConnector", "SqlMapping"]
