"""The canonical, partner-neutral records that every connector returns.

A connector's whole job is to turn one partner system's rows, JSON or GraphQL objects into these
frozen dataclasses. The hub merges, authorises and publishes them; it never sees a partner's own
field names. Record ids (`record_id`, `id`) are the partner's own identifiers, as strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "HEALTH_MARKER_CODES",
    "Address",
    "Assessment",
    "CustodyOutcome",
    "CustodyRecord",
    "Gender",
    "Handling",
    "IntelligenceReport",
    "MarkerCode",
    "Offence",
    "PersonName",
    "PersonRecord",
    "SafeguardingConcern",
    "SafeguardingKind",
    "SearchCriteria",
    "SourceEvaluation",
    "WarningMarker",
]


class Gender(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"
    UNKNOWN = "U"


class MarkerCode(enum.StrEnum):
    """PNC-style warning signal codes."""

    FI = "FI"  # firearms
    WE = "WE"  # weapons
    XP = "XP"  # explosives
    VI = "VI"  # violent
    ES = "ES"  # escaper
    AG = "AG"  # alleges
    IM = "IM"  # impersonates (male)
    IF = "IF"  # impersonates (female)
    DR = "DR"  # drugs
    SU = "SU"  # suicidal
    MN = "MN"  # mental health
    AT = "AT"  # ailment
    CO = "CO"  # contagious


#: Health markers are special-category data (DPA 2018 s35): they travel under their own scope.
HEALTH_MARKER_CODES = frozenset({MarkerCode.SU, MarkerCode.MN, MarkerCode.AT, MarkerCode.CO})


class SourceEvaluation(enum.StrEnum):
    """The 3x5x2 source evaluation."""

    RELIABLE = "1"
    UNTESTED = "2"
    NOT_RELIABLE = "3"


class Assessment(enum.StrEnum):
    """The 3x5x2 intelligence assessment."""

    KNOWN_DIRECTLY = "A"
    KNOWN_INDIRECTLY_CORROBORATED = "B"
    KNOWN_INDIRECTLY = "C"
    NOT_KNOWN = "D"
    SUSPECTED_FALSE = "E"


class Handling(enum.StrEnum):
    """The 3x5x2 handling code."""

    LAWFUL_SHARING_PERMITTED = "P"
    SHARING_WITH_CONDITIONS = "C"


class CustodyOutcome(enum.StrEnum):
    CHARGED = "charged"
    BAILED = "bailed"
    RELEASED_UNDER_INVESTIGATION = "released-under-investigation"
    NO_FURTHER_ACTION = "no-further-action"
    CAUTION = "caution"
    IN_CUSTODY = "in-custody"


class SafeguardingKind(enum.StrEnum):
    DOMESTIC_ABUSE_INCIDENT = "domestic-abuse-incident"
    CHILD_PROTECTION_REFERRAL = "child-protection-referral"
    OPERATION_ENCOMPASS = "operation-encompass"
    MISSING_EPISODE = "missing-episode"


@dataclass(frozen=True, slots=True)
class PersonName:
    family_name: str
    given_name: str | None
    alias: bool = False


@dataclass(frozen=True, slots=True)
class Address:
    lines: tuple[str, ...]
    town: str | None = None
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One partner's record of one person (a "nominal")."""

    partner: str
    record_id: str
    names: tuple[PersonName, ...]
    date_of_birth: date | None = None
    gender: Gender | None = None
    nationality: str | None = None
    pnc_id: str | None = None
    cro_number: str | None = None
    addresses: tuple[Address, ...] = ()

    @property
    def primary_name(self) -> PersonName:
        return next((n for n in self.names if not n.alias), self.names[0])


@dataclass(frozen=True, slots=True)
class WarningMarker:
    partner: str
    code: MarkerCode
    description: str
    added_on: date | None = None


@dataclass(frozen=True, slots=True)
class IntelligenceReport:
    partner: str
    id: str
    source_evaluation: SourceEvaluation
    assessment: Assessment
    handling: Handling
    summary: str
    content: str | None = None
    handling_conditions: str | None = None
    classification: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Offence:
    code: str
    description: str


@dataclass(frozen=True, slots=True)
class CustodyRecord:
    partner: str
    id: str
    custody_number: str
    station: str
    arrested_at: datetime
    arrest_reason: str
    offences: tuple[Offence, ...] = ()
    detention_authorised_by: str | None = None
    released_at: datetime | None = None
    outcome: CustodyOutcome | None = None
    risk_flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SafeguardingConcern:
    partner: str
    id: str
    kind: SafeguardingKind
    occurred_at: datetime
    summary: str
    children_present: bool | None = None
    contact_point: str | None = None


@dataclass(frozen=True, slots=True)
class SearchCriteria:
    """What a person search asks every partner. At least family name or PNC ID is set (the hub checks)."""

    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: date | None = None
    pnc_id: str | None = None
