"""What the `graphql` connector asks a partner, and how it reads the answers into canonical records.

The query documents are static, named operations with every input a variable, so a partner can allow-list
them and nothing a caller types is ever spliced into a document. The search is an `Operation`: a document,
the root field it reads and a translator from one partner object to `(subject ref, canonical record)`.
Records by subject ref are asked for with `records_document`: one document holding a root field (a `Part`)
per record kind wanted, so a person and everything held on them cost the partner one request.
Translators trust nothing: a missing field, a wrong type or an enum value they do not know raises
`Malformed`, which the connector reports as `PartnerBadResponse`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from connectors._json import JsonObject, Malformed, type_name
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
    "CHANGES",
    "HEALTH",
    "PARTS",
    "SEARCH",
    "Malformed",
    "Operation",
    "Part",
    "read_changes",
    "read_records",
    "records_document",
]

T = TypeVar("T")

_SUBJECT_FIELDS = """
fragment HubSubject on Subject {
  ref surname forenames born sex nationality pncNumber croNumber
  otherNames { surname forenames }
  addresses { line1 line2 town postcode }
}
"""

HEALTH = "query HubHealth { __typename }"

_GENDER = {"MALE": Gender.MALE, "FEMALE": Gender.FEMALE, "UNKNOWN": Gender.UNKNOWN}
_OUTCOME = {
    "CHARGED": CustodyOutcome.CHARGED,
    "BAILED": CustodyOutcome.BAILED,
    "RUI": CustodyOutcome.RELEASED_UNDER_INVESTIGATION,
    "NFA": CustodyOutcome.NO_FURTHER_ACTION,
    "CAUTIONED": CustodyOutcome.CAUTION,
}
_KIND = {
    "DOMESTIC_ABUSE": SafeguardingKind.DOMESTIC_ABUSE_INCIDENT,
    "CHILD_PROTECTION": SafeguardingKind.CHILD_PROTECTION_REFERRAL,
    "ENCOMPASS": SafeguardingKind.OPERATION_ENCOMPASS,
    "MISSING": SafeguardingKind.MISSING_EPISODE,
}
_MARKER = {code.value: code for code in MarkerCode}
#: "1A P": source evaluation, intelligence assessment, handling code (3x5x2).
_GRADING = re.compile(r"\s*([123])\s*([A-E])\s*([PC])\s*")


def person(partner: str, subject: JsonObject) -> tuple[str, PersonRecord]:
    ref = subject.text("ref")
    names = [PersonName(subject.text("surname"), subject.opt_text("forenames"))]
    names += [
        PersonName(n.text("surname"), n.opt_text("forenames"), alias=True)
        for n in subject.objects("otherNames")
    ]
    addresses = tuple(
        Address(
            lines=tuple(line for line in (a.text("line1"), a.opt_text("line2")) if line),
            town=a.opt_text("town"),
            postcode=a.opt_text("postcode"),
        )
        for a in subject.objects("addresses")
    )
    return ref, PersonRecord(
        partner=partner,
        record_id=ref,
        names=tuple(names),
        date_of_birth=subject.opt_date("born"),
        gender=subject.opt_code("sex", _GENDER),
        nationality=subject.opt_text("nationality"),
        # Partners hold typos: an invalid PNC ID is no identifier at all, and must not drive a merge.
        pnc_id=normalise_pnc_id(subject.opt_text("pncNumber")),
        cro_number=subject.opt_text("croNumber"),
        addresses=addresses,
    )


def marker(partner: str, flag: JsonObject) -> tuple[str, WarningMarker]:
    code = flag.code("code", _MARKER)
    return flag.text("subjectRef"), WarningMarker(partner, code, flag.text("text"), flag.opt_date("raisedOn"))


def intelligence(partner: str, log: JsonObject) -> tuple[str, IntelligenceReport]:
    grading = log.text("grading")
    match = _GRADING.fullmatch(grading.upper())
    if match is None:
        raise Malformed(f"{log.where}.grading: {grading!r} is not a 3x5x2 grading like '1A P'")
    source, assessment, handling = match.groups()
    return log.text("subjectRef"), IntelligenceReport(
        partner=partner,
        id=log.text("ref"),
        source_evaluation=SourceEvaluation(source),
        assessment=Assessment(assessment),
        handling=Handling(handling),
        summary=log.text("summary"),
        content=log.opt_text("body"),
        handling_conditions=log.opt_text("handlingConditions"),
        classification=log.opt_text("marking"),
        recorded_at=log.opt_datetime("loggedAt"),
    )


def custody(partner: str, detention: JsonObject) -> tuple[str, CustodyRecord]:
    released_at = detention.opt_datetime("releasedAt")
    outcome = detention.opt_code("disposal", _OUTCOME)
    if outcome is None and released_at is None:
        outcome = CustodyOutcome.IN_CUSTODY  # Eastvale leaves the disposal empty while someone is detained
    return detention.text("subjectRef"), CustodyRecord(
        partner=partner,
        id=detention.text("ref"),
        custody_number=detention.text("custodyNumber"),
        station=detention.text("suite"),
        arrested_at=detention.datetime("arrestedAt"),
        arrest_reason=detention.text("reason"),
        offences=tuple(Offence(o.text("code"), o.text("wording")) for o in detention.objects("offences")),
        detention_authorised_by=detention.opt_text("authorisedBy"),
        released_at=released_at,
        outcome=outcome,
        risk_flags=tuple(detention.texts("riskFlags")),
    )


def safeguarding(partner: str, concern: JsonObject) -> tuple[str, SafeguardingConcern]:
    kind = concern.code("category", _KIND)
    return concern.text("subjectRef"), SafeguardingConcern(
        partner=partner,
        id=concern.text("ref"),
        kind=kind,
        occurred_at=concern.datetime("occurredAt"),
        summary=concern.text("summary"),
        children_present=concern.opt_bool("childrenPresent"),
        contact_point=concern.opt_text("contact"),
    )


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One named query: its document, the root field holding the answer, and the translator for one item."""

    name: str
    field: str
    document: str
    translate: Callable[[str, JsonObject], tuple[str, T]]

    def read(self, partner: str, data: Mapping[str, Any]) -> list[tuple[str, T]]:
        """The (subject ref, record) pairs in the operation's `data`, or `Malformed`."""
        return _read_list(partner, data, self.field, self.translate)


def _read_list(
    partner: str, data: Mapping[str, Any], field: str, translate: Callable[[str, JsonObject], tuple[str, T]]
) -> list[tuple[str, T]]:
    """The (subject ref, record) pairs of the list in `data[field]`, or `Malformed`."""
    items = data.get(field)
    if not isinstance(items, list):
        raise Malformed(f"data.{field}: expected a list, got {type_name(items)}")
    return [translate(partner, JsonObject(item, f"{field}[{i}]")) for i, item in enumerate(items)]


SEARCH = Operation(
    "HubFindSubjects",
    "findSubjects",
    """query HubFindSubjects(
  $surname: String, $forenames: String, $born: String, $pncNumber: String, $limit: Int!
) {
  findSubjects(surname: $surname, forenames: $forenames, born: $born, pncNumber: $pncNumber, limit: $limit) {
    ...HubSubject
  }
}"""
    + _SUBJECT_FIELDS,
    person,
)


@dataclass(frozen=True)
class Part(Generic[T]):
    """One record kind's root field in a records document: its argument and selection, and its reader."""

    field: str
    argument: str
    selection: str
    translate: Callable[[str, JsonObject], tuple[str, T]]


#: Per record kind, the root field of the partner's schema that answers it for a list of subject refs.
PARTS: Mapping[Capability, Part[Any]] = {
    Capability.PEOPLE: Part("subjects", "refs", "...HubSubject", person),
    Capability.MARKERS: Part("flags", "subjectRefs", "subjectRef code text raisedOn", marker),
    Capability.INTELLIGENCE: Part(
        "intelligenceLogs",
        "subjectRefs",
        "ref subjectRef grading handlingConditions summary body marking loggedAt",
        intelligence,
    ),
    Capability.CUSTODY: Part(
        "detentions",
        "subjectRefs",
        "ref subjectRef custodyNumber suite arrestedAt reason authorisedBy releasedAt disposal riskFlags "
        "offences { code wording }",
        custody,
    ),
    Capability.SAFEGUARDING: Part(
        "concerns",
        "subjectRefs",
        "ref subjectRef category occurredAt childrenPresent summary contact",
        safeguarding,
    ),
}


@functools.cache
def records_document(kinds: tuple[Capability, ...]) -> tuple[str, str]:
    """The operation name and document asking for these record kinds in one request, each root field with
    its own variable (`$people`, `$markers`, ...): one static document per set of kinds (31 at most), so a
    partner can allow-list them all."""
    ordered = [kind for kind in PARTS if kind in kinds]
    name = "HubRecords" + "".join(kind.value.title() for kind in ordered)
    variables = ", ".join(f"${kind.value}: [ID!]!" for kind in ordered)
    fields = "\n".join(
        f"  {PARTS[kind].field}({PARTS[kind].argument}: ${kind.value}) {{ {PARTS[kind].selection} }}"
        for kind in ordered
    )
    fragment = _SUBJECT_FIELDS if Capability.PEOPLE in ordered else ""
    return name, f"query {name}({variables}) {{\n{fields}\n}}" + fragment


def read_records(partner: str, kind: Capability, data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The (subject ref, record) pairs of one kind in a records document's `data`, or `Malformed`."""
    return _read_list(partner, data, PARTS[kind].field, PARTS[kind].translate)


CHANGES = """query HubChanges($after: String, $limit: Int!) {
  changes(after: $after, limit: $limit) { cursor changes { kind ref subjectRef } }
}"""
#: Eastvale's kinds of change, as the hub's record kinds; a kind it does not know is passed over.
_CHANGE_KINDS = {
    "SUBJECT": Capability.PEOPLE,
    "CUSTODY": Capability.CUSTODY,
    "CONCERN": Capability.SAFEGUARDING,
    "FLAG": Capability.MARKERS,
    "INTELLIGENCE_LOG": Capability.INTELLIGENCE,
}


def read_changes(data: Mapping[str, Any]) -> ChangePage:
    """The change feed page in a HubChanges answer's `data`, or `Malformed`."""
    feed = JsonObject(data, "data").obj("changes")
    changes = []
    for item in feed.objects("changes"):
        kind = _CHANGE_KINDS.get(item.text("kind"))
        if kind is not None:
            changes.append(Change(kind, item.text("subjectRef"), item.text("ref")))
    return ChangePage(changes, feed.text("cursor"))
