"""A small Southmoor database written row by row (no data generator), and Southmoor's API running on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from connectors.contract import PartnerConfig
from connectors.demo import layout as t
from connectors.demo.rest_partner import create_app
from connectors.demo.serve import ServerThread
from connectors.pnc import check_letter, format_pnc_id
from connectors.rest import RestConnector

CLIENT_ID, SECRET = "hub", "s3cret-southmoor-test"
#: Aoife Kilbride's PNC ID as the canonical form, and as Southmoor holds it (the short form).
KILBRIDE_PNC = format_pnc_id(2004, 123456)
KILBRIDE_PNC_SHORT = f"04/123456{check_letter(2004, 123456)}"
#: A PNC ID with the wrong check letter: a typo the connector must not publish as an identifier.
TYPO_PNC = "2001/0000001" + ("A" if check_letter(2001, 1) != "A" else "B")


def _alias(ref: str, surname: str, forenames: str | None) -> dict[str, Any]:
    return {
        "nominal_ref": ref,
        "surname": surname,
        "forenames": forenames,
        "surname_key": t.search_key(surname),
    }


def _person(ref: str, surname: str, forenames: str | None, *rest: Any) -> dict[str, Any]:
    columns = ("birth_date", "sex", "nationality", "pnc_ref", "cro_ref")
    return _alias(ref, surname, forenames) | dict(zip(columns, rest, strict=True))


def _warning(ref: str, code: str, text: str, raised_on: date | None) -> dict[str, Any]:
    return {"nominal_ref": ref, "signal_code": code, "signal_text": text, "raised_on": raised_on}


ROWS: dict[Any, list[dict[str, Any]]] = {
    t.nominal: [
        _person("SM-000001", "Kilbride", "Aoife Mary", date(1990, 4, 12), "F", "Irish", KILBRIDE_PNC_SHORT,
                "88/12C"),
        _person("SM-000002", "Kilbride", "Sean", date(1988, 1, 1), "M", "British", TYPO_PNC, None),
        _person("SM-000003", "O'Brien", "Patrick", None, "U", None, None, None),
    ],
    t.nominal_alias: [_alias("SM-000001", "Kelly", "Aoife"), _alias("SM-000003", "Kilbride", "Pat")],
    t.nominal_address: [
        {"nominal_ref": "SM-000001", "line1": "Flat 4", "line2": "9 Quay Street", "town": "Southmoor",
         "postcode": "SM1 4QS"},
        {"nominal_ref": "SM-000003", "line1": "2 Marsh Road", "line2": None, "town": None, "postcode": None},
    ],
    t.warning_signal: [
        _warning("SM-000001", "VI", "Violent", date(2020, 5, 1)),
        _warning("SM-000001", "SU", "Suicidal", None),
        _warning("SM-000002", "WE", "Carries a knife", None),
    ],
    t.intel_log: [
        {"log_ref": "SMI-1", "nominal_ref": "SM-000001", "source_grade": "1", "intel_grade": "A",
         "handling_code": "P", "handling_conditions": None, "summary_text": "Seen at the docks",
         "full_text": "Seen at the docks with a known dealer, 22:10",
         "protective_marking": "OFFICIAL-SENSITIVE", "logged_at": datetime(2024, 3, 2, 22, 40)},
        {"log_ref": "SMI-2", "nominal_ref": "SM-000002", "source_grade": "3", "intel_grade": "E",
         "handling_code": "C", "handling_conditions": "Not for partner agencies", "summary_text": "Rumour",
         "full_text": None, "protective_marking": None, "logged_at": None},
    ],
    t.custody_event: [
        {"custody_ref": "SMC-1", "nominal_ref": "SM-000001", "custody_number": "SM/24/0001",
         "suite": "Southmoor Central", "arrested_at": datetime(2024, 1, 5, 23, 15),
         "arrest_reason": "Assault", "authorised_by": "PS 4411 Hale",
         "released_at": datetime(2024, 1, 6, 11), "disposal": "CHARGED", "risk_flags": "SELF_HARM;VIOLENT"},
        {"custody_ref": "SMC-2", "nominal_ref": "SM-000002", "custody_number": "SM/25/0042",
         "suite": "Harbour Road", "arrested_at": datetime(2025, 6, 30, 2, 0), "arrest_reason": "Burglary",
         "authorised_by": None, "released_at": None, "disposal": None, "risk_flags": None},
    ],
    t.custody_offence: [
        {"custody_ref": "SMC-1", "offence_code": "CJ88116", "offence_text": "Assault by beating"},
        {"custody_ref": "SMC-1", "offence_code": "PU86001", "offence_text": "Affray"},
    ],
    t.vulnerability_referral: [
        {"referral_ref": "SMR-1", "nominal_ref": "SM-000001", "referral_type": "DA",
         "occurred_at": datetime(2023, 11, 4, 19, 30), "children_present": True,
         "summary_text": "Argument with partner", "contact_point": "Southmoor MASH, 01632 960123"},
        {"referral_ref": "SMR-2", "nominal_ref": "SM-000003", "referral_type": "MISS",
         "occurred_at": datetime(2022, 8, 1, 7, 0), "children_present": None,
         "summary_text": "Missing overnight", "contact_point": None},
    ],
}  # fmt: skip


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    path = tmp_path / "southmoor.db"
    engine = create_engine(f"sqlite:///{path}")
    t.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in t.metadata.sorted_tables:  # parents before children
            if ROWS.get(table):
                conn.execute(table.insert(), ROWS[table])
    engine.dispose()
    return f"sqlite+aiosqlite:///{path}"


@dataclass
class Southmoor:
    """Southmoor's API running on loopback: its app (request log, faults, tokens) and its server."""

    app: Any
    server: ServerThread

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def tokens_issued(self) -> int:
        return int(self.app.state.tokens.issued_count)

    def kinds(self) -> list[str | None]:
        return [entry["kind"] for entry in self.app.state.log.snapshot()]


@pytest.fixture
def start_southmoor(database_url: str) -> Iterator[Callable[..., Southmoor]]:
    """Start Southmoor's API (keyword arguments go to `create_app`); every one started is stopped after."""
    started: list[Southmoor] = []

    def start(**kwargs: Any) -> Southmoor:
        app = create_app(database_url, clients={CLIENT_ID: SECRET}, **kwargs)
        started.append(Southmoor(app, ServerThread(app).start()))
        return started[-1]

    yield start
    for partner in started:
        partner.server.stop()


@pytest.fixture
def southmoor(start_southmoor: Callable[..., Southmoor]) -> Southmoor:
    return start_southmoor()


def config(url: str, /, timeout: float = 5.0, **connection: Any) -> PartnerConfig:
    """Southmoor's entry in a partners file, its API at `url`, with connection keys overridden."""
    settings: dict[str, Any] = {"base_url": url, "client_id": CLIENT_ID, "client_secret": SECRET}
    return PartnerConfig(
        "southmoor", "rest", "Southmoor Constabulary", timeout, connection=settings | connection
    )


@pytest.fixture
async def connector(southmoor: Southmoor) -> AsyncIterator[RestConnector]:
    async with RestConnector(config(southmoor.url)) as opened:
        yield opened
