"""A mapping section as a table: the checks on its names, and the SQLAlchemy Core view built from them.

Each section of `SqlMapping` (`NominalColumns`, `AliasColumns`, ...) is a `Section`: a frozen dataclass whose
fields name the partner's table and columns. `Section.problems` checks that every name is a plain SQL
identifier (or a valid setting), and `TableView` turns a valid section into a Core `table()` whose columns
are labelled by the mapping's keys.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from sqlalchemy import Select, column, select, table
from sqlalchemy.sql.expression import ColumnClause

__all__ = ["Section", "TableView", "not_empty", "one_of"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$")


class Section:
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


def one_of(*valid: str) -> Callable[[str], str | None]:
    """A setting's check: the value must be one of `valid`."""
    return lambda value: None if value in valid else f"= {value!r} must be one of {', '.join(valid)}"


def not_empty(value: str) -> str | None:
    """A setting's check: the value must not be ""."""
    return None if value else "must not be empty"


class TableView:
    """One partner table as a Core `table()`, its columns labelled by the mapping's keys ("surname", ...).

    Built from the mapping alone: the hub never reflects a partner's schema. Columns the partner does not
    keep ("" in the mapping) are absent, so `"cro" in view` says whether the partner keeps the field.
    """

    def __init__(self, section: Section) -> None:
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
