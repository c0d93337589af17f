"""The coded values of the canonical model, published as GraphQL enums (the names are the GraphQL values)."""

from __future__ import annotations

import enum

import strawberry

from connectors import canonical
from connectors.contract import Capability
from hub.federation.breaker import BreakerState as _BreakerState

__all__ = [
    "Assessment",
    "BreakerState",
    "CustodyOutcome",
    "Gender",
    "Handling",
    "MarkerCategory",
    "MarkerCode",
    "NameKind",
    "PartnerCapability",
    "PartnerOutcome",
    "SafeguardingKind",
    "SourceEvaluation",
]

strawberry.enum(canonical.Gender, description="Recorded sex: MALE, FEMALE or UNKNOWN.")
Gender = canonical.Gender

strawberry.enum(
    canonical.MarkerCode,
    description=(
        "PNC warning signal. Officer safety: FI firearms, WE weapons, XP explosives, VI violent, ES escaper, "
        "AG alleges, IM impersonates male, IF impersonates female, DR drugs. Health (special-category data): "
        "SU suicidal, MN mental health, AT ailment, CO contagious."
    ),
)
MarkerCode = canonical.MarkerCode

strawberry.enum(
    canonical.SourceEvaluation,
    description="3x5x2 source evaluation: RELIABLE (1), UNTESTED (2), NOT_RELIABLE (3).",
)
SourceEvaluation = canonical.SourceEvaluation

strawberry.enum(
    canonical.Assessment,
    description=(
        "3x5x2 intelligence assessment: KNOWN_DIRECTLY (A), KNOWN_INDIRECTLY_CORROBORATED (B), "
        "KNOWN_INDIRECTLY (C), NOT_KNOWN (D), SUSPECTED_FALSE (E)."
    ),
)
Assessment = canonical.Assessment

strawberry.enum(
    canonical.Handling,
    description=(
        "3x5x2 handling code: LAWFUL_SHARING_PERMITTED (P), or SHARING_WITH_CONDITIONS (C), whose conditions "
        "travel with the report in `handlingConditions`."
    ),
)
Handling = canonical.Handling

strawberry.enum(canonical.CustodyOutcome, description="How a detention ended, or IN_CUSTODY.")
CustodyOutcome = canonical.CustodyOutcome

strawberry.enum(canonical.SafeguardingKind, description="The kind of safeguarding concern.")
SafeguardingKind = canonical.SafeguardingKind


@strawberry.enum(description="Whether a warning marker concerns officer safety or the person's health.")
class MarkerCategory(enum.Enum):
    OFFICER_SAFETY = "officer-safety"
    HEALTH = "health"


@strawberry.enum(description="Whether a name is a person's primary name at some partner, or an alias.")
class NameKind(enum.Enum):
    PRIMARY = "primary"
    ALIAS = "alias"


@strawberry.enum(description="How a partner answered its calls in this request.")
class PartnerOutcome(enum.Enum):
    OK = "ok"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    BAD_RESPONSE = "bad-response"
    CIRCUIT_OPEN = "circuit-open"
    ERROR = "error"


strawberry.enum(
    _BreakerState,
    name="BreakerState",
    description=(
        "A partner's circuit breaker in this hub process, as the next call would meet it: CLOSED (calls go "
        "through), OPEN (after repeated failures no call reaches the partner until the cool-down ends), "
        "HALF_OPEN (cool-down over: the next call is a trial that closes or reopens it)."
    ),
)
BreakerState = _BreakerState

strawberry.enum(
    Capability,
    name="PartnerCapability",
    description="What the hub may ask a partner: SEARCH, PEOPLE by id, MARKERS, INTELLIGENCE, CUSTODY, "
    "SAFEGUARDING.",
)
PartnerCapability = Capability
