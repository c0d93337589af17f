"""The sql kind tells a database that does not fit its mapping from one it cannot use by SQLAlchemy's
exception class and the driver's error code, never by message text: the same on any async dialect."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from connectors.sql.connector import _is_mismatch


class DriverError(Exception):
    """A DBAPI error as a driver raises it, with the code attributes drivers use."""

    def __init__(self, message: str, **codes: str) -> None:
        super().__init__(message)
        for name, value in codes.items():
            setattr(self, name, value)


def wrapped(cls: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return cls("SELECT 1", None, orig)


@pytest.mark.parametrize(
    ("error", "mismatch"),
    [
        (wrapped(sa_exc.ProgrammingError, DriverError("relation does not exist", sqlstate="42P01")), True),
        (wrapped(sa_exc.OperationalError, DriverError("whatever the words", sqlstate="42703")), True),
        (wrapped(sa_exc.OperationalError, DriverError("in any language", pgcode="22007")), True),
        (wrapped(sa_exc.OperationalError, DriverError("any text", sqlite_errorname="SQLITE_ERROR")), True),
        (wrapped(sa_exc.DataError, DriverError("value too long")), True),
        (wrapped(sa_exc.ProgrammingError, DriverError("permission denied", sqlstate="42501")), False),
        (wrapped(sa_exc.OperationalError, DriverError("no such table: looks missing")), False),
        (wrapped(sa_exc.OperationalError, DriverError("locked", sqlite_errorname="SQLITE_BUSY")), False),
        (wrapped(sa_exc.OperationalError, DriverError("connection lost", sqlstate="08006")), False),
        (sa_exc.TimeoutError("pool"), False),
    ],
    ids=[
        "undefined-table",
        "undefined-column-as-operational",
        "bad-datetime-pgcode",
        "sqlite-sql-error",
        "data-error",
        "privilege-refused",
        "message-text-alone-counts-for-nothing",
        "sqlite-busy",
        "connection-failure",
        "pool-timeout",
    ],
)
def test_errors_are_classified_by_class_and_code(error: Exception, mismatch: bool) -> None:
    assert _is_mismatch(error) is mismatch


def test_a_code_on_the_drivers_own_cause_counts() -> None:
    adapted = DriverError("adapted")
    adapted.__cause__ = DriverError("original", sqlite_errorname="SQLITE_ERROR")
    assert _is_mismatch(wrapped(sa_exc.OperationalError, adapted))
