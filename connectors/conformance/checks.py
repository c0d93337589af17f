"""Checks of what a connector returns, each failing with a message that says what to fix.

`problems_of(record, expected)` looks at one record against the canonical type the contract promises:
the type itself, then every field against its annotation (codes must be the canonical enums, dates `date`,
times `datetime`, PNC IDs canonical, provenance the connector's own name).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from functools import cache
from typing import Any

from connectors.pnc import normalise_pnc_id

__all__ = ["problems_of"]


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{text[:60]}{'…' if len(text) > 60 else ''} ({type(value).__name__})"


def _fits(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if origin is tuple:
        item, *rest = typing.get_args(annotation)
        return isinstance(value, tuple) and (rest != [...] or all(_fits(v, item) for v in value))
    if annotation is date:  # a datetime is a date to isinstance, not to a partner's date of birth
        return isinstance(value, date) and not isinstance(value, datetime)
    if annotation is bool:
        return isinstance(value, bool)
    if isinstance(annotation, type):
        if dataclasses.is_dataclass(annotation):
            return isinstance(value, annotation) and not _field_problems(value, annotation.__name__)
        return isinstance(value, annotation)
    return True


def _expected(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_expected(a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return "None"
    if origin is tuple:
        return f"a tuple of {_expected(typing.get_args(annotation)[0])}"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return f"a {annotation.__name__} (one of {', '.join(str(m.value) for m in annotation)})"
    return getattr(annotation, "__name__", str(annotation))


def _field_problems(record: Any, where: str) -> list[str]:
    problems = []
    for field in dataclasses.fields(record):
        cls: Any = type(record)
        value, annotation = getattr(record, field.name), _hints(cls)[field.name]
        if not _fits(value, annotation):
            problems.append(
                f"{where}.{field.name} is {_describe(value)}; it must be {_expected(annotation)}: "
                "map the partner's value to the canonical one in the connector"
            )
    return problems


def problems_of(record: Any, expected: type, partner: str, where: str) -> list[str]:
    """What is wrong with one record a connector returned as an `expected` (empty: nothing)."""
    if not isinstance(record, expected):
        return [
            f"{where} is {_describe(record)}; it must be a {expected.__name__} "
            f"(connectors.canonical): the wrong kind of record, or not a record at all"
        ]
    problems = _field_problems(record, where)
    source = getattr(record, "partner", partner)
    if source != partner:
        problems.append(
            f"{where}.partner is {source!r}; provenance must name the partner the record came "
            f"from, the connector's own name {partner!r}"
        )
    pnc = getattr(record, "pnc_id", None)
    if isinstance(pnc, str) and normalise_pnc_id(pnc) != pnc:
        problems.append(
            f"{where}.pnc_id is {pnc!r}; a PNC ID must be canonical (YYYY/NNNNNNNL, "
            "connectors.pnc.normalise_pnc_id), and an invalid one left out (None)"
        )
    return problems
