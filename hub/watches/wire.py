"""Watches' values as JSON and back: a notification's record (a canonical record, a match), its watch,
enums and dates; what a webhook's body and another replica's notification carry (`to_wire` / `from_wire`)."""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from datetime import date, datetime
from typing import Any

__all__ = ["from_wire", "to_wire"]


def to_wire(value: Any) -> Any:
    """A dataclass (canonical record, watch), enum or date as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_wire(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """A dataclass's field types, resolved once (`typing.get_type_hints` is slow)."""
    return typing.get_type_hints(cls)


def from_wire(annotation: Any, value: Any) -> Any:
    """`value` (JSON) read back as `annotation`: dataclasses field by field, enums, dates, tuples, options."""
    if value is None:
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return from_wire(options[0], value)
    if origin is tuple:
        item = typing.get_args(annotation)[0]
        if len(typing.get_args(annotation)) == 2 and typing.get_args(annotation)[1] is Ellipsis:
            return tuple(from_wire(item, v) for v in value)
        return tuple(from_wire(a, v) for a, v in zip(typing.get_args(annotation), value, strict=True))
    if isinstance(annotation, type):
        if dataclasses.is_dataclass(annotation):
            hints = _hints(annotation)
            return annotation(
                **{f.name: from_wire(hints[f.name], value[f.name]) for f in dataclasses.fields(annotation)}
            )
        if issubclass(annotation, enum.Enum):
            return annotation(value)
        if annotation is datetime:
            return datetime.fromisoformat(value)
        if annotation is date:
            return date.fromisoformat(value)
    return value
