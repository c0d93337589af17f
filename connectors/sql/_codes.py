"""A partner's code tables: what each of its codes means canonically (sex, custody disposal, referral type).

The defaults are the default mapping's codes. A partner's `[partners.mapping.codes.<name>]` table replaces
the default table of that name as a whole; `code_tables` reads those tables and reports every code mapped to
something that is not a canonical value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connectors.canonical import CustodyOutcome, Gender, SafeguardingKind

__all__ = ["CodeTables", "code_tables"]


def _default_sex() -> dict[str, Gender]:
    return {g.value: g for g in Gender}


def _default_disposal() -> dict[str, CustodyOutcome]:
    return {
        "CHARGED": CustodyOutcome.CHARGED,
        "BAIL": CustodyOutcome.BAILED,
        "RUI": CustodyOutcome.RELEASED_UNDER_INVESTIGATION,
        "NFA": CustodyOutcome.NO_FURTHER_ACTION,
        "CAUTION": CustodyOutcome.CAUTION,
    }


def _default_referral() -> dict[str, SafeguardingKind]:
    return {
        "DA": SafeguardingKind.DOMESTIC_ABUSE_INCIDENT,
        "CP": SafeguardingKind.CHILD_PROTECTION_REFERRAL,
        "ENC": SafeguardingKind.OPERATION_ENCOMPASS,
        "MISS": SafeguardingKind.MISSING_EPISODE,
    }


@dataclass(frozen=True)
class CodeTables:
    """The partner's codes and the canonical value of each. A NULL disposal and no release: in custody."""

    sex: Mapping[str, Gender] = field(default_factory=_default_sex)
    disposal: Mapping[str, CustodyOutcome] = field(default_factory=_default_disposal)
    referral: Mapping[str, SafeguardingKind] = field(default_factory=_default_referral)


_CODE_ENUMS: Mapping[str, type[StrEnum]] = {
    "sex": Gender,
    "disposal": CustodyOutcome,
    "referral": SafeguardingKind,
}


def code_tables(given: Mapping[str, Any], problems: list[str]) -> CodeTables:
    """The code tables from a partner's `[partners.mapping.codes]`, adding what is wrong to `problems`."""
    tables: dict[str, dict[str, Any]] = {}
    for name, codes in given.items():
        enum = _CODE_ENUMS.get(name)
        if enum is None:
            problems.append(f"unknown key 'codes.{name}' (valid: {', '.join(_CODE_ENUMS)})")
        elif not isinstance(codes, Mapping):
            problems.append(f"'codes.{name}' must be a table of code = value, not {type(codes).__name__}")
        else:
            valid = [e.value for e in enum]
            tables[name] = {}
            for code, value in codes.items():
                if value in valid:
                    tables[name][str(code)] = enum(value)
                else:
                    problems.append(f"'codes.{name}.{code}' = {value!r} must be one of {', '.join(valid)}")
    return CodeTables(**tables)
