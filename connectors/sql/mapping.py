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

The checks on names and the Core view of each table are in `connectors.sql._views`; the code tables and
their defaults are in `connectors.sql._codes`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from connectors.errors import ConnectorConfigError
from connectors.sql._codes import CodeTables, code_tables
from connectors.sql._views import Section, TableView, not_empty, one_of

__all__ = [
    "SEARCH_KEY_RULES",
    "AddressColumns",
    "AliasColumns",
    "ChangeColumns",
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

_NOT_LETTERS = re.compile(r"[^A-Z]")


def upper_letters(surname: str) -> str:
    """The "upper-letters" search key: ASCII capitals only, accents folded ("O'Brién" -> "OBRIEN")."""
    folded = unicodedata.normalize("NFKD", surname).encode("ascii", "ignore").decode("ascii")
    return _NOT_LETTERS.sub("", folded.upper())


#: How a partner computes the surname key column it searches on, by the name used in the mapping.
SEARCH_KEY_RULES: Mapping[str, Callable[[str], str]] = {"upper-letters": upper_letters}


@dataclass(frozen=True, slots=True)
class NominalColumns(Section):
    """The person ("nominal") table. `id_type` ("string" or "integer") says how to bind the hub's ids."""

    optional: ClassVar[frozenset[str]] = frozenset(
        {"forenames", "birth_date", "sex", "nationality", "pnc", "cro"}
    )
    settings: ClassVar[Mapping[str, Callable[[str], str | None]]] = {
        "id_type": one_of("string", "integer"),
        "surname_key_rule": one_of(*SEARCH_KEY_RULES),
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
class AliasColumns(Section):
    """Other names a nominal is known by. Without `order_by`, aliases come in surname order."""

    optional: ClassVar[frozenset[str]] = frozenset({"table", "forenames", "order_by"})

    table: str = "nominal_alias"
    nominal_id: str = "nominal_ref"
    surname: str = "surname"
    forenames: str = "forenames"
    surname_key: str = "surname_key"
    order_by: str = "alias_id"


@dataclass(frozen=True, slots=True)
class AddressColumns(Section):
    optional: ClassVar[frozenset[str]] = frozenset({"table", "line2", "town", "postcode"})

    table: str = "nominal_address"
    nominal_id: str = "nominal_ref"
    line1: str = "line1"
    line2: str = "line2"
    town: str = "town"
    postcode: str = "postcode"
    order_by: str = "address_id"


@dataclass(frozen=True, slots=True)
class WarningColumns(Section):
    optional: ClassVar[frozenset[str]] = frozenset({"added_on"})

    table: str = "warning_signal"
    nominal_id: str = "nominal_ref"
    code: str = "signal_code"
    text: str = "signal_text"
    added_on: str = "raised_on"
    order_by: str = "signal_id"


@dataclass(frozen=True, slots=True)
class IntelligenceColumns(Section):
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
class CustodyColumns(Section):
    optional: ClassVar[frozenset[str]] = frozenset({"authorised_by", "released_at", "disposal", "risk_flags"})
    settings: ClassVar[Mapping[str, Callable[[str], str | None]]] = {"risk_flag_separator": not_empty}

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
class OffenceColumns(Section):
    table: str = "custody_offence"
    custody_id: str = "custody_ref"
    code: str = "offence_code"
    text: str = "offence_text"
    order_by: str = "offence_id"


@dataclass(frozen=True, slots=True)
class SafeguardingColumns(Section):
    optional: ClassVar[frozenset[str]] = frozenset({"children_present", "contact"})

    table: str = "vulnerability_referral"
    id: str = "referral_ref"
    nominal_id: str = "nominal_ref"
    type: str = "referral_type"
    occurred_at: str = "occurred_at"
    children_present: str = "children_present"
    summary: str = "summary_text"
    contact: str = "contact_point"


@dataclass(frozen=True, slots=True)
class ChangeColumns(Section):
    """The partner's change feed, if it keeps one: a row per record added or changed, in sequence order.
    `kind` holds person (or nominal: a new person record, whose own id is both `record_id` and `nominal_id`),
    custody, safeguarding, warning or intelligence (other kinds are passed over). Without a
    table (the default), the partner offers no change feed."""

    optional: ClassVar[frozenset[str]] = frozenset({"table"})

    table: str = ""
    seq: str = "change_seq"
    kind: str = "record_kind"
    record_id: str = "record_ref"
    nominal_id: str = "nominal_ref"


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
    changes: ChangeColumns = ChangeColumns()
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
                sections[name] = code_tables(given, problems)
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


_SECTIONS: Mapping[str, Callable[[], Any]] = {
    "nominal": NominalColumns,
    "alias": AliasColumns,
    "address": AddressColumns,
    "warning": WarningColumns,
    "intelligence": IntelligenceColumns,
    "custody": CustodyColumns,
    "offence": OffenceColumns,
    "safeguarding": SafeguardingColumns,
    "changes": ChangeColumns,
    "codes": CodeTables,
}
_TABLE_SECTIONS = [name for name in _SECTIONS if name != "codes"]
