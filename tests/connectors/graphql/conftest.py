"""A small Eastvale database, written row by row in the demo layout (no data generator involved)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, create_engine

from connectors.demo import layout as t
from connectors.pnc import format_pnc_id

#: John Smith's PNC ID, held by Eastvale in the canonical form.
SMITH_PNC = format_pnc_id(2004, 123456)


def _rows(table: Table, *rows: tuple[Any, ...]) -> tuple[Table, list[dict[str, Any]]]:
    """Rows given positionally in the layout's column order; autoincrement ids are left to the database."""
    columns = [c.name for c in table.columns if c.autoincrement is not True]
    assert all(len(row) == len(columns) for row in rows), columns
    return table, [dict(zip(columns, row, strict=True)) for row in rows]


def _named(ref: str, surname: str, forenames: str | None, *rest: Any) -> tuple[Any, ...]:
    """A nominal or alias row: the partner's surname search key sits after the names."""
    return (ref, surname, forenames, t.search_key(surname), *rest)


ROWS = dict(
    [
        _rows(
            t.nominal,
            _named("EV1001", "Smith", "John Paul", date(1985, 3, 12), "M", "British", SMITH_PNC, "1234/85X"),
            # A PNC ID with the wrong check letter: a typo the connector must not pass on as an identifier.
            _named("EV1002", "O'Brien", "Mary", date(1990, 7, 1), "F", None, "2010/0000001A", None),
            _named("EV1003", "Jones", None, None, None, None, None, None),
        ),
        _rows(t.nominal_alias, _named("EV1001", "Smythe", "Jon"), _named("EV1002", "Smith", "Mary")),
        _rows(
            t.nominal_address,
            ("EV1001", "Flat 2", "12 High Street", "Eastvale", "EV1 2AB"),
            ("EV1002", "3 Mill Lane", None, None, None),
        ),
        _rows(
            t.warning_signal,
            ("EV1001", "VI", "Violent", date(2019, 1, 1)),
            ("EV1001", "MN", "Mental health", None),
            ("EV1002", "WE", "Carries a knife", None),
        ),
        _rows(
            t.intel_log,
            ("IL-1", "EV1001", "1", "A", "P", None, "Seen dealing", "Seen dealing at the Crown, 21:00",
             "OFFICIAL-SENSITIVE", datetime(2024, 2, 1, 9, 30)),
            ("IL-2", "EV1002", "3", "E", "C", "Not for partner agencies", "Rumour", None, None, None),
        ),
        _rows(
            t.custody_event,
            ("CE-1", "EV1001", "EV/24/0001", "Eastvale Central", datetime(2024, 1, 1, 10, 0), "Assault",
             "PS 123", None, None, "SELF HARM; VIOLENT"),
            ("CE-2", "EV1002", "EV/23/0042", "Eastvale North", datetime(2023, 5, 2, 22, 15), "Theft",
             None, datetime(2023, 5, 3, 8, 0), "BAIL", None),
            ("CE-3", "EV1001", "EV/22/0007", "Eastvale Central", datetime(2022, 3, 4, 1, 0), "Possession",
             "PS 9", datetime(2022, 3, 4, 9, 0), "RUI", ""),
        ),
        _rows(
            t.custody_offence,
            ("CE-1", "OAPA-47", "Assault occasioning ABH"),
            ("CE-1", "POA-4", "Threatening behaviour"),
            ("CE-2", "TA-1", "Theft"),
        ),
        _rows(
            t.vulnerability_referral,
            ("VR-1", "EV1002", "DA", datetime(2024, 3, 3, 23, 0), True, "Argument", "Eastvale MASH"),
            ("VR-2", "EV1003", "ENC", datetime(2024, 4, 4, 8, 0), None, "School told", None),
        ),
    ]
)  # fmt: skip


def write_database(path: Path) -> str:
    """Create the demo layout at `path`, insert `ROWS`, and return the async URL the partner reads."""
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            t.metadata.create_all(conn)
            for table, rows in ROWS.items():
                conn.execute(table.insert(), rows)
    finally:
        engine.dispose()
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="module")
def eastvale_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The async URL of a fresh Eastvale database holding `ROWS`."""
    return write_database(tmp_path_factory.mktemp("eastvale") / "eastvale.db")
