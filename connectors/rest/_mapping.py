"""How the `rest` connector reads Southmoor-style JSON into canonical records.

The partner's answers are enveloped (`{"status": "ok", "result": {"items": [...], "page", "totalPages"}}`)
and use the partner's own field names. Readers trust nothing: a missing envelope, a wrong type or a code
they do not know raises `Malformed`, which the connector reports as `PartnerBadResponse`. Messages name the
field and the type found, never the value, so no personal data lands in the hub's logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from connectors.canonical import (
    Address,
    Assessment,
    CustodyOutcome,
    CustodyRecord,
    Gender,
    Handling,
    IntelligenceReport,
    MarkerCode,
    Offence,
    PersonName,
    PersonRecord,
    SafeguardingConcern,
    SafeguardingKind,
    SourceEvaluation,
    WarningMarker,
)
from connectors.pnc import normalise_pnc_id

__all__ = [
    "Malformed",
    "Page",
    "read_custody",
    "read_intelligence",
    "read_marker",
    "read_page",
    "read_person",
    "read_safeguarding",
]

E = TypeVar("E", bound=Enum)

_DISPOSAL = {
    "CHARGED": CustodyOutcome.CHARGED,
    "BAIL": CustodyOutcome.BAILED,
    "RUI": CustodyOutcome.RELEASED_UNDER_INVESTIGATION,
    "NFA": CustodyOutcome.NO_FURTHER_ACTION,
    "CAUTION": CustodyOutcome.CAUTION,
}
_REFERRAL = {
    "DA": SafeguardingKind.DOMESTIC_ABUSE_INCIDENT,
    "CP": SafeguardingKind.CHILD_PROTECTION_REFERRAL,
    "ENC": SafeguardingKind.OPERATION_ENCOMPASS,
    "MISS": SafeguardingKind.MISSING_EPISODE,
}


class Malformed(ValueError):
    """The partner's answer does not have the shape or the codes its API promises."""


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class _Obj:
    """One JSON object from the partner, read field by field with type checks."""

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, Mapping):
            raise Malformed(f"{where}: expected an object, got {_type_name(value)}")
        self.value, self.where = value, where

    def _get(self, key: str, kind: type | tuple[type, ...], what: str, required: bool) -> Any:
        value = self.value.get(key)
        if value is None and not required:
            return None
        # bool is an int in Python, but `true` is never a page number in JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Malformed(f"{self.where}.{key}: expected {what}, got {_type_name(value)}")
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, str, "a string", required=True)
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, "a string or null", required=False)
        return value

    def opt_bool(self, key: str) -> bool | None:
        value: bool | None = self._get(key, bool, "a boolean or null", required=False)
        return value

    def integer(self, key: str) -> int:
        value: int = self._get(key, int, "a whole number", required=True)
        return value

    def items(self, key: str) -> list[Any]:
        value: list[Any] = self._get(key, list, "a list", required=True)
        return value

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key, Mapping, "an object", required=True), f"{self.where}.{key}")

    def objs(self, key: str) -> list[_Obj]:
        return [_Obj(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(self.items(key))]

    def texts(self, key: str) -> list[str]:
        items = self.items(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise Malformed(f"{self.where}.{key}[{i}]: expected a string, got {_type_name(item)}")
        return items

    def opt_date(self, key: str) -> date | None:
        value = self.opt_text(key)
        try:
            return None if value is None else date.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{self.where}.{key}: expected an ISO 8601 date") from None

    def opt_datetime(self, key: str) -> datetime | None:
        value = self.opt_text(key)
        try:
            return None if value is None else datetime.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{self.where}.{key}: expected an ISO 8601 date and time") from None

    def datetime(self, key: str) -> datetime:
        value = self.opt_datetime(key)
        if value is None:
            raise Malformed(f"{self.where}.{key}: expected an ISO 8601 date and time, got null")
        return value

    def opt_code(self, key: str, codes: Mapping[str, E]) -> E | None:
        value = self._get(key, str, "a code or null", required=False)
        return None if value is None else self._known(key, value, codes)

    def code(self, key: str, codes: Mapping[str, E]) -> E:
        return self._known(key, self._get(key, str, "a code", required=True), codes)

    def _known(self, key: str, value: str, codes: Mapping[str, E]) -> E:
        if value not in codes:
            # Codes are the partner's vocabulary, not personal data: naming the unknown one helps its fix.
            raise Malformed(f"{self.where}.{key}: unknown code {value[:20]!r}")
        return codes[value]


def _codes(enum: type[E]) -> dict[str, E]:
    return {str(member.value): member for member in enum}


_SEX, _MARKER = _codes(Gender), _codes(MarkerCode)
_SOURCE, _INTEL, _HANDLING = _codes(SourceEvaluation), _codes(Assessment), _codes(Handling)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an enveloped answer."""

    items: list[Any]
    page: int
    total_pages: int


def read_page(body: Any, what: str) -> Page:
    """The `result` page of an enveloped answer to the request `what`."""
    envelope = _Obj(body, what)
    status = envelope.text("status")
    if status != "ok":
        raise Malformed(f"{what}.status: expected 'ok', got {status[:20]!r}")
    result = envelope.obj("result")
    return Page(result.items("items"), result.integer("page"), result.integer("totalPages"))


def _name(item: _Obj, alias: bool) -> PersonName:
    return PersonName(item.text("lastName"), item.opt_text("firstNames"), alias=alias)


def read_person(partner: str, item: Any, where: str) -> PersonRecord:
    """One `nominal` object."""
    nominal = _Obj(item, where)
    return PersonRecord(
        partner=partner,
        record_id=nominal.text("nominalId"),
        names=(_name(nominal, False), *(_name(aka, True) for aka in nominal.objs("aka"))),
        date_of_birth=nominal.opt_date("dateOfBirth"),
        gender=nominal.opt_code("sex", _SEX),
        nationality=nominal.opt_text("nationality"),
        # Partners hold typos; an invalid PNC ID is dropped rather than published as if it were one.
        pnc_id=normalise_pnc_id(nominal.opt_text("pncRef")),
        cro_number=nominal.opt_text("croRef"),
        addresses=tuple(
            Address(
                lines=tuple(line for line in (a.text("line1"), a.opt_text("line2")) if line),
                town=a.opt_text("town"),
                postcode=a.opt_text("postCode"),
            )
            for a in nominal.objs("addresses")
        ),
    )


def _owner(item: Any, where: str) -> tuple[str, _Obj]:
    obj = _Obj(item, where)
    return obj.text("nominalId"), obj


def read_marker(partner: str, item: Any, where: str) -> tuple[str, WarningMarker]:
    """One `warning`, with the nominal it belongs to."""
    owner, warning = _owner(item, where)
    code = warning.code("code", _MARKER)
    return owner, WarningMarker(partner, code, warning.text("text"), warning.opt_date("raised"))


def read_intelligence(partner: str, item: Any, where: str) -> tuple[str, IntelligenceReport]:
    """One `intelligence` log, with the nominal it belongs to."""
    owner, log = _owner(item, where)
    grading = log.obj("grading")
    return owner, IntelligenceReport(
        partner=partner,
        id=log.text("logRef"),
        source_evaluation=grading.code("source", _SOURCE),
        assessment=grading.code("intel", _INTEL),
        handling=grading.code("handling", _HANDLING),
        summary=log.text("summary"),
        content=log.opt_text("text"),
        handling_conditions=log.opt_text("conditions"),
        classification=log.opt_text("marking"),
        recorded_at=log.opt_datetime("loggedAt"),
    )


def read_custody(partner: str, item: Any, where: str) -> tuple[str, CustodyRecord]:
    """One `custody` event with its offences, with the nominal it belongs to."""
    owner, event = _owner(item, where)
    released = event.opt_datetime("released")
    outcome = event.opt_code("disposal", _DISPOSAL)
    return owner, CustodyRecord(
        partner=partner,
        id=event.text("custodyRef"),
        custody_number=event.text("custodyNo"),
        station=event.text("suite"),
        arrested_at=event.datetime("arrested"),
        arrest_reason=event.text("reason"),
        offences=tuple(Offence(o.text("code"), o.text("text")) for o in event.objs("offences")),
        detention_authorised_by=event.opt_text("authorisedBy"),
        released_at=released,
        # No disposal yet means still detained, unless the partner recorded a release without one.
        outcome=CustodyOutcome.IN_CUSTODY if outcome is None and released is None else outcome,
        risk_flags=tuple(event.texts("riskFlags")),
    )


def read_safeguarding(partner: str, item: Any, where: str) -> tuple[str, SafeguardingConcern]:
    """One `safeguarding` referral, with the nominal it belongs to."""
    owner, referral = _owner(item, where)
    return owner, SafeguardingConcern(
        partner=partner,
        id=referral.text("referralRef"),
        kind=referral.code("type", _REFERRAL),
        occurred_at=referral.datetime("when"),
        summary=referral.text("summary"),
        children_present=referral.opt_bool("childrenPresent"),
        contact_point=referral.opt_text("contact"),
    )
