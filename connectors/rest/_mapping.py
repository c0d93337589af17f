"""How the `rest` connector reads Southmoor-style JSON into canonical records.

The partner's answers are enveloped (`{"status": "ok", "result": {"items": [...], "page", "totalPages"}}`)
and use the partner's own field names. Readers trust nothing: a missing envelope, a wrong type or a code
they do not know raises `Malformed`, which the connector reports as `PartnerBadResponse`. Messages name the
field and the type found, never the value, so no personal data lands in the hub's logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

from connectors._json import JsonObject, Malformed
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
from connectors.contract import Capability, Change, ChangePage
from connectors.pnc import normalise_pnc_id

__all__ = [
    "Malformed",
    "Page",
    "included",
    "read_changes",
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
    envelope = JsonObject(body, what)
    status = envelope.text("status")
    if status != "ok":
        raise Malformed(f"{what}.status: expected 'ok', got {status[:20]!r}")
    result = envelope.obj("result")
    return Page(result.items("items"), result.integer("page"), result.integer("totalPages"))


def _name(item: JsonObject, alias: bool) -> PersonName:
    return PersonName(item.text("lastName"), item.opt_text("firstNames"), alias=alias)


def read_person(partner: str, item: Any, where: str) -> PersonRecord:
    """One `nominal` object."""
    nominal = JsonObject(item, where)
    return PersonRecord(
        partner=partner,
        record_id=nominal.text("nominalId"),
        names=(_name(nominal, False), *(_name(aka, True) for aka in nominal.objects("aka"))),
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
            for a in nominal.objects("addresses")
        ),
    )


def included(item: Any, name: str, where: str) -> list[Any]:
    """The records a nominal fetched with `include=name` embeds under `name` (a required list)."""
    return JsonObject(item, where).items(name)


def _owner(item: Any, where: str) -> tuple[str, JsonObject]:
    obj = JsonObject(item, where)
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
        offences=tuple(Offence(o.text("code"), o.text("text")) for o in event.objects("offences")),
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


#: The feed's kinds of record, as the hub's; a kind it does not know is passed over.
_CHANGE_KINDS = {
    "person": Capability.PEOPLE,
    "custody": Capability.CUSTODY,
    "safeguarding": Capability.SAFEGUARDING,
    "warning": Capability.MARKERS,
    "intelligence": Capability.INTELLIGENCE,
}


def read_changes(body: Any, what: str) -> ChangePage:
    """A change feed page: `{"status": "ok", "result": {"items": [{kind, ref, nominalId}], "cursor"}}`."""
    result = JsonObject(body, what).obj("result")
    changes = []
    for item in result.objects("items"):
        kind = _CHANGE_KINDS.get(item.text("kind"))
        if kind is not None:
            changes.append(Change(kind, item.text("nominalId"), item.text("ref")))
    return ChangePage(changes, result.text("cursor"))
