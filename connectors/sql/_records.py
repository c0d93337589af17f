"""Canonical records from a partner's rows: the `sql` connector's reading of what its database holds.

Rows arrive labelled by mapping keys ("surname", "birth_date", ...), with values as the driver gives them or
as text (records by id are read in one statement that casts every column to text: `_union`): fixed-width
CHAR columns padded, dates as TEXT, flags as 'Y'/'N', 'true'/'false' or 1/0. `Records` reads each into
the canonical type, and a value it cannot read is the partner's bad data, reported as `PartnerBadResponse`
naming the table, the column, the record and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, TypeVar

from connectors.canonical import (
    Address,
    Assessment,
    CustodyOutcome,
    CustodyRecord,
    Handling,
    IntelligenceReport,
    MarkerCode,
    Offence,
    PersonName,
    PersonRecord,
    SafeguardingConcern,
    SourceEvaluation,
    WarningMarker,
)
from connectors.errors import PartnerBadResponse
from connectors.pnc import normalise_pnc_id
from connectors.sql.mapping import SqlMapping

__all__ = ["Records"]

#: A row labelled by mapping keys: a driver's `RowMapping`, or a dict of text values.
Row = Mapping[Any, Any]
_E = TypeVar("_E", bound=StrEnum)
_V = TypeVar("_V")
_TRUE, _FALSE = frozenset({"Y", "YES", "T", "TRUE", "1"}), frozenset({"N", "NO", "F", "FALSE", "0"})


def _text(value: Any) -> str | None:
    """A text value, stripped (fixed-width CHAR columns pad); blank is None."""
    return None if value is None or not str(value).strip() else str(value).strip()


class Records:
    """Canonical records from rows labelled by mapping keys; a value the mapping cannot read is bad data."""

    def __init__(self, partner: str, mapping: SqlMapping) -> None:
        self.partner, self.mapping, self.codes = partner, mapping, mapping.codes

    def _bad(self, section: str, key: str, row: Row, expected: str) -> PartnerBadResponse:
        columns = getattr(self.mapping, section)
        record = row.get("id", row.get("nominal_id", row.get("custody_id")))
        return PartnerBadResponse(
            self.partner,
            f"{columns.table}.{getattr(columns, key)} = {str(row.get(key))[:40]!r} in record {record} "
            f"is not {expected}; fix the data or the partner's mapping",
        )

    def _code(self, section: str, key: str, row: Row, codes: Mapping[str, _E]) -> _E | None:
        code = _text(row.get(key))
        if code is None:
            return None
        if code not in codes:
            raise self._bad(section, key, row, f"a code in the mapping ({', '.join(codes)})")
        return codes[code]

    def _enum(self, section: str, key: str, row: Row, enum: type[_E]) -> _E:
        return self._required(section, key, row, self._code(section, key, row, {e.value: e for e in enum}))

    def _required(self, section: str, key: str, row: Row, value: _V | None) -> _V:
        if value is None:
            raise self._bad(section, key, row, "set (it must not be empty)")
        return value

    def _date(self, section: str, key: str, row: Row) -> date | None:
        value = row.get(key)
        if isinstance(value, datetime):
            return value.date()
        if value is None or isinstance(value, date):
            return value
        with suppress(ValueError):
            return None if _text(value) is None else date.fromisoformat(str(value).strip()[:10])
        raise self._bad(section, key, row, "a date")

    def _datetime(self, section: str, key: str, row: Row) -> datetime | None:
        value = row.get(key)
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime.combine(value, time())
        with suppress(ValueError):
            return None if _text(value) is None else datetime.fromisoformat(str(value).strip())
        raise self._bad(section, key, row, "a date and time")

    def _flag(self, section: str, key: str, row: Row) -> bool | None:
        value = row.get(key)
        if value is None or isinstance(value, bool):
            return value
        flag = str(value).strip().upper()
        if flag in _TRUE or flag in _FALSE:
            return flag in _TRUE
        raise self._bad(section, key, row, "a yes/no value")

    def person(
        self,
        row: Row,
        aliases: Sequence[Row],
        addresses: Sequence[Row],
    ) -> PersonRecord:
        names = [PersonName(_text(row["surname"]) or "", _text(row.get("forenames")))] + [
            PersonName(_text(a["surname"]) or "", _text(a.get("forenames")), alias=True) for a in aliases
        ]
        return PersonRecord(
            partner=self.partner,
            record_id=str(row["id"]),
            names=tuple(names),
            date_of_birth=self._date("nominal", "birth_date", row),
            gender=self._code("nominal", "sex", row, self.codes.sex),
            nationality=_text(row.get("nationality")),
            pnc_id=normalise_pnc_id(_text(row.get("pnc"))),
            cro_number=_text(row.get("cro")),
            addresses=tuple(
                Address(
                    lines=tuple(line for line in (_text(a["line1"]), _text(a.get("line2"))) if line),
                    town=_text(a.get("town")),
                    postcode=_text(a.get("postcode")),
                )
                for a in addresses
            ),
        )

    def marker(self, row: Row) -> WarningMarker:
        return WarningMarker(
            partner=self.partner,
            code=self._enum("warning", "code", row, MarkerCode),
            description=_text(row["text"]) or "",
            added_on=self._date("warning", "added_on", row),
        )

    def intelligence(self, row: Row) -> IntelligenceReport:
        return IntelligenceReport(
            partner=self.partner,
            id=str(row["id"]),
            source_evaluation=self._enum("intelligence", "source_grade", row, SourceEvaluation),
            assessment=self._enum("intelligence", "intel_grade", row, Assessment),
            handling=self._enum("intelligence", "handling", row, Handling),
            summary=_text(row["summary"]) or "",
            content=_text(row.get("content")),
            handling_conditions=_text(row.get("conditions")),
            classification=_text(row.get("marking")),
            recorded_at=self._datetime("intelligence", "logged_at", row),
        )

    def custody(self, row: Row, offences: Sequence[Row]) -> CustodyRecord:
        released_at = self._datetime("custody", "released_at", row)
        outcome = self._code("custody", "disposal", row, self.codes.disposal)
        flags = (_text(row.get("risk_flags")) or "").split(self.mapping.custody.risk_flag_separator)
        arrested = ("custody", "arrested_at", row)
        return CustodyRecord(
            partner=self.partner,
            id=str(row["id"]),
            custody_number=_text(row["custody_number"]) or "",
            station=_text(row["station"]) or "",
            arrested_at=self._required("custody", "arrested_at", row, self._datetime(*arrested)),
            arrest_reason=_text(row["reason"]) or "",
            offences=tuple(Offence(_text(o["code"]) or "", _text(o["text"]) or "") for o in offences),
            detention_authorised_by=_text(row.get("authorised_by")),
            released_at=released_at,
            # No disposal yet and no release: the person is still in the cells.
            outcome=CustodyOutcome.IN_CUSTODY if outcome is None and released_at is None else outcome,
            risk_flags=tuple(flag.strip() for flag in flags if flag.strip()),
        )

    def safeguarding(self, row: Row) -> SafeguardingConcern:
        kind, occurred = ("safeguarding", "type", row), ("safeguarding", "occurred_at", row)
        return SafeguardingConcern(
            partner=self.partner,
            id=str(row["id"]),
            kind=self._required(*kind, self._code(*kind, self.codes.referral)),
            occurred_at=self._required(*occurred, self._datetime(*occurred)),
            summary=_text(row["summary"]) or "",
            children_present=self._flag("safeguarding", "children_present", row),
            contact_point=_text(row.get("contact")),
        )
