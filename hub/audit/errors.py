"""Failing closed: `AuditUnavailable`, and turning whatever a write or a read of the trail raised into it.

Every way into the trail (the writer, the auditors' queries, verify, purge) goes through `failing_closed`,
so that a caller has one exception to catch and fail closed on, never to answer a request unaudited. It
lives apart from `hub.audit.store` (which re-exports `AuditUnavailable`) so that the modules behind that
facade can raise it without importing the facade.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["AuditUnavailable", "describe", "failing_closed"]


class AuditUnavailable(Exception):
    """The audit trail could not be written or read: fail closed (AUDIT_UNAVAILABLE, HTTP 503)."""


def describe(exc: BaseException) -> str:
    """What went wrong, fit for a message that may be logged or shown."""
    # The first line only: SQLAlchemy appends the SQL and its parameters, which may hold audited data.
    text = str(exc).strip().split("\n", 1)[0] or type(exc).__name__
    return text[:300]


@asynccontextmanager
async def failing_closed(doing: str, within: float) -> AsyncIterator[None]:
    """Raise `AuditUnavailable` for anything the block raises: a timeout says it took over `within` s."""
    try:
        yield
    except AuditUnavailable:
        raise
    except TimeoutError as exc:
        raise AuditUnavailable(f"Could not {doing} within {within:g} s.") from exc
    except Exception as exc:  # whatever the driver or the OS raised: the caller fails closed
        raise AuditUnavailable(f"Could not {doing}: {describe(exc)}") from exc
