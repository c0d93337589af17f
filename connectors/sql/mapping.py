"""Where a partner keeps its records: table and column names, and what its codes mean.

`SqlMapping` names, for each kind of record, the partner's table and the column that holds each canonical
field. Its defaults are the default mapping, a Niche-style nominal layout (the demo partners' layout); a
partner whose database differs overrides only what differs, in the partners file:

    [partners.mapping.nominal]
    table = "persons"
    surname = "last_name"

    [partners.mapping.codes.sex]
    "1" = "M"
    "2" = "F"

A column that the partner does not keep may be set to "" where the field is optional (for example
`nominal.cro = ""`), and `alias.table = ""` / `address.table = ""` mean the partner keeps no aliases or
addresses. Code tables replace the default table as a whole. Names are plain SQL identifiers, matched as the
database stores them (lower case in PostgreSQL); a table may be schema-qualified ("records.nominal").
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Select, column, select, table
from sqlalchemy.sql.expression import ColumnClause

from connectors.canonical import CustodyOutcome, Gender, SafeguardingKind
from connectors.errors import ConnectorConfigError

__all__ = [
    "SEARCH_KEY_RULES",
    "AddressColumns",
    "AliasColumns",
    "CodeTables",
    "CustodyColumns",
    "IntelligenceColumns",
    "NominalColumns",
    "OffenceColumns",
    "SafeguardingColumns",
    "SqlMapping",
    "TableView",
    "WarningColumns",
    "upper_letters",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$")
_NOT_LETTERS = re.compile(r"[^A-Z]")


def upper_letters(surname: str) -> str:
    """The "upper-letters" search key: ASCII capitals only, accents folded ("O'Brién" -> "OBRIEN")."""
    folded = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.upper())


#: How a partner computes the surname key column it searches on, by the name used in the mapping.
SEARCH_KEY_RULES: Mapping[str, Callable[[str], str]] = {"upper-letters": upper_letters}


class _Section:
    """Validation shared by the table sections: every value is a column name unless listed otherwise."""

    __slots__ = ()
    table: str

    #: Keys that may be "" because the partner need not keep that field.
    optional: ClassVar[frozenset[str]] = frozenset()
    #: Keys that hold a setting, not an identifier, with their check (None when valid, else the problem).
    settings: ClassVar[Mapping[str, Callable[[str], str | None]]] = {}

    def view(self) -> TableView:
        """This table as an SQLAlchemy Core construct."""
        return TableView(self)

    def problems(self, section: str) -> list[str]:
        found = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value, where = getattr(self, f.name), f"{section}.{f.name}"
            if not isinstance(value, str):
                found.append(f"'{where}' must be a string, not {type(value).__name__}")
            elif f.name in self.settings:
                problem = self.settings[f.name](value)
                if problem:
                    found.append(f"'{where}' {problem}")
            elif value == "" and f.name in self.optional:
                continue
            elif not (_TABLE if f.name == "table" else _IDENTIFIER).match(value):
                shape = "a table name, optionally 'schema.table'" if f.name == "table" else "a column name"
                found.append(f"'{where}' = {value!r} is not {shape} (letters, digits, '_'; no leading digit)")
        return found


class TableView:
    """One partner table as a Core `table()`, its columns labelled by the mapping's keys ("surname", ...).

    Built from the mapping alone: the hub never reflects a partner's schema. Columns the partner does not
    keep ("" in the mapping) are absent, so `"cro" in view` says whether the partner keeps the field.
    """

    def __init__(self, section: _Section) -> None:
        names = {
            f.name: value
            for f in dataclasses.fields(section)  # type: ignore[arg-type]
            if f.name != "table" and f.name not in section.settings and (value := getattr(section, f.name))
        }
        schema, _, name = section.table.rpartition(".")
        # Untyped columns: values arrive as the driver gives them, and the connector coerces them itself,
        # so a partner's TEXT dates or 'Y'/'N' flags read as well as native ones.
        columns: list[ColumnClause[Any]] = [column(c) for c in dict.fromkeys(names.values())]
        self.table = table(name, *columns, schema=schema or None)
        self.columns: dict[str, ColumnClause[Any]] = {key: self.table.c[c] for key, c in names.items()}

    def __getitem__(self, key: str) -> ColumnClause[Any]:
        return self.columns[key]

    def __contains__(self, key: object) -> bool:
        return key in self.columns

    def select(self) -> Select[Any]:
        """Every mapped column, labelled by its mapping key."""
        return select(*(c.label(key) for key, c in self.columns.items()))


def _one_of(*valid: str) -> Callable[[str], str | None]:
    return lambda value: None if value in valid else f"= {value!r} must be one of {', '.join(valid)}"


def _not_empty(value: str) -> str | None:
    return None if value else "must not be empty"


@dataclass(frozen=True, slots=True)
class NominalColumns(_Section):
    """The person ("nominal") table. `id_type` ("string" or "integer") says how to bind the hub's ids."""

    optional: ClassVar[frozenset[str]] = frozenset(
        {"forenames", "birth_date", "sex", "nationality", "pnc", "cro"}
    )
    settings: ClassVar[Mapping[str, Callable[[str], str | None]]] = {
        "id_type": _one_of("string", "integer"),
        "surname_key_rule": _one_of(*SEARCH_KEY_RULES),
    }

    table: str = "nominal"
    id: str = "nominal_ref"
    id_type: str = "string"
    surname: str = "surname"
    forenames: str = "forenames"
    surname_key: str = "surname_key"
    surname_key_rule: str = "upper-letters"
    birth_date: str = "birth_date"
    sex: str = "sex"
    nationality: str = "nationality"
    pnc: str = "pnc_ref"
    cro: str = "cro_ref"

    def search_key(self, surname: str) -> str:
        """The partner's surname key for `surname`, computed as the partner computes its key column."""
        return SEARCH_KEY_RULES[self.surname_key_rule](surname)


@dataclass(frozen=True, slots=True)
class AliasColumns(_Section):
    """Other names a nominal is known by. Without `order_by`, aliases come in surname order."""

    optional: ClassVar[frozenset[str]] = frozenset({"table", "forenames", "order_by"})

    table: str = "nominal_alias"
    nominal_id: str = "nominal_ref"
    surname: str = "surname"
    forenames: str = "forenames"
    surname_key: str = "surname_key"
    order_by: str = "alias_id"


@dataclass(frozen=True, slots=True)
class AddressColumns(_Section):
    optional: ClassVar[frozenset[str]] = frozenset({"table", "line2", "town", "postcode"})

    table: str = "nominal_address"
    nominal_id: str = "nominal_ref"
    line1: str = "line1"
    line2: str = "line2"
    town: str = "town"
    postcode: str = "postcode"
    order_by: str = "address_id"


@dataclass(frozen=True, slots=True)
class WarningColumns(_Section):
    optional: ClassVar[frozenset[str]] = frozenset({"added_on"})

    table: str = "warning_signal"
    nominal_id: str = "nominal_ref"
    code: str = "signal_code"
    text: str = "signal_text"
    added_on: str = "raised_on"
    order_by: str = "signal_id"


@dataclass(frozen=True, slots=True)
class IntelligenceColumns(_Section):
    optional: ClassVar[frozenset[str]] = frozenset({"conditions", "content", "marking", "logged_at"})

    table: str = "intel_log"
    id: str = "log_ref"
    nominal_id: str = "nominal_ref"
    source_grade: str = "source_grade"
    intel_grade: str = "intel_grade"
    handling: str = "handling_code"
    conditions: str = "handling_conditions"
    summary: str = "summary_text"
    content: str = "full_text"
    marking: str = "protective_marking"
    logged_at: str = "logged_at"


@dataclass(frozen=True, slots=True)
class CustodyColumns(_Section):
    optional: ClassVar[frozenset[str]] = frozenset({"authorised_by", "released_at", "disposal", "risk_flags"})
    settings: ClassVar[Mapping[str, Callable[[str], str | None]]] = {"risk_flag_separator": _not_empty}

    table: str = "custody_event"
    id: str = "custody_ref"
    nominal_id: str = "nominal_ref"
    custody_number: str = "custody_number"
    station: str = "suite"
    arrested_at: str = "arrested_at"
    reason: str = "arrest_reason"
    authorised_by: str = "authorised_by"
    released_at: str = "released_at"
    disposal: str = "disposal"
    risk_flags: str = "risk_flags"
    risk_flag_separator: str = ";"


@dataclass(frozen=True, slots=True)
class OffenceColumns(_Section):
    table: str = "custody_offence"
    custody_id: str = "custody_ref"
    code: str = "offence_code"
    text: str = "offence_text"
    order_by: str = "offence_id"


@dataclass(frozen=True, slots=True)
class SafeguardingColumns(_Section):
    optional: ClassVar[frozenset[str]] = frozenset({"children_present", "contact"})

    table: str = "vulnerability_referral"
    id: str = "referral_ref"
    nominal_id: str = "nominal_ref"
    type: str = "referral_type"
    occurred_at: str = "occurred_at"
    children_present: str = "children_present"
    summary: str = "summary_text"
    contact: str = "contact_point"


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


@dataclass(frozen=True)
class SqlMapping:
    """A partner database's layout. The defaults are the default mapping, a Niche-style nominal layout."""

    nominal: NominalColumns = NominalColumns()
    alias: AliasColumns = AliasColumns()
    address: AddressColumns = AddressColumns()
    warning: WarningColumns = WarningColumns()
    intelligence: IntelligenceColumns = IntelligenceColumns()
    custody: CustodyColumns = CustodyColumns()
    offence: OffenceColumns = OffenceColumns()
    safeguarding: SafeguardingColumns = SafeguardingColumns()
    codes: CodeTables = field(default_factory=CodeTables)

    def __post_init__(self) -> None:
        problems = [p for f in _TABLE_SECTIONS for p in getattr(self, f).problems(f)]
        if problems:
            raise ConnectorConfigError("Invalid SQL mapping: " + "; ".join(problems) + ".")

    def views(self) -> dict[str, TableView]:
        """Each section's table as a Core construct, by section name; a section without a table is absent."""
        return {name: getattr(self, name).view() for name in _TABLE_SECTIONS if getattr(self, name).table}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SqlMapping:
        """The mapping from a partner's `[partners.mapping]` table: defaults overridden by what it gives.

        Raises:
            ConnectorConfigError: naming every unknown section or key (with the valid ones), every value that
                is not a plain SQL identifier, and every code mapped to something that is not canonical.
        """
        problems: list[str] = []
        sections: dict[str, Any] = {}
        for name, given in data.items():
            if name not in _SECTIONS:
                problems.append(f"unknown section '{name}' (valid: {', '.join(_SECTIONS)})")
            elif not isinstance(given, Mapping):
                problems.append(f"'{name}' must be a table of keys, not {type(given).__name__}")
            elif name == "codes":
                sections[name] = _codes(given, problems)
            else:
                default = _SECTIONS[name]()
                valid = [f.name for f in dataclasses.fields(default)]
                unknown = [k for k in given if k not in valid]
                problems += [f"unknown key '{name}.{k}' (valid: {', '.join(valid)})" for k in unknown]
                section = dataclasses.replace(default, **{k: v for k, v in given.items() if k in valid})
                problems += section.problems(name)
                sections[name] = section
        if problems:
            raise ConnectorConfigError("Invalid SQL mapping: " + "; ".join(problems) + ".")
        return cls(**sections)


def _codes(given: Mapping[str, Any], problems: list[str]) -> CodeTables:
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


_SECTIONS: Mapping[str, Callable[[], Any]] = {
    "nominal": NominalColumns,
    "alias": AliasColumns,
    "address": AddressColumns,
    "warning": WarningColumns,
    "intelligence": IntelligenceColumns,
    "custody": CustodyColumns,
    "offence": OffenceColumns,
    "safeguarding": SafeguardingColumns,
    "codes": CodeTables,
}
_TABLE_SECTIONS = [name for name in _SECTIONS if name != "codes"]
