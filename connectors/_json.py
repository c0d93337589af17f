"""A typed reader of the JSON objects that partners send, shared by the HTTP connectors.

Readers trust nothing: a missing field, a wrong type or a code they do not know raises `Malformed`, which
a connector reports as `PartnerBadResponse`. Messages name the field and the type found, never the value,
so no personal data lands in the hub's logs; the one exception is an unknown code, which is the partner's
vocabulary rather than personal data, and is cut short.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

__all__ = ["JsonObject", "Malformed", "type_name"]

T = TypeVar("T")


class Malformed(ValueError):
    """The partner's answer does not have the shape, the values or the codes its API promises."""


def type_name(value: Any) -> str:
    """The JSON-ish name of `value`'s type for error messages: `null` for None, else the Python type."""
    return "null" if value is None else type(value).__name__


class JsonObject:
    """One JSON object from a partner, read field by field with type checks.

    `where` is the path to the object in the answer (like `detentions[0]`), used to name fields in errors.
    """

    def __init__(self, value: Any, where: str) -> None:
        if not isinstance(value, Mapping):
            raise Malformed(f"{where}: expected an object, got {type_name(value)}")
        self.value, self.where = value, where

    def _get(self, key: str, kind: type | tuple[type, ...], what: str, required: bool) -> Any:
        value = self.value.get(key)
        if value is None and not required:
            return None
        # bool is an int in Python, but `true` is never a page number in JSON.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Malformed(f"{self.where}.{key}: expected {what}, got {type_name(value)}")
        return value

    def text(self, key: str) -> str:
        """A required string."""
        value: str = self._get(key, str, "a string", required=True)
        return value

    def opt_text(self, key: str) -> str | None:
        """A string, or None when the field is missing or null."""
        value: str | None = self._get(key, str, "a string or null", required=False)
        return value

    def opt_bool(self, key: str) -> bool | None:
        """A boolean, or None when the field is missing or null."""
        value: bool | None = self._get(key, bool, "a boolean or null", required=False)
        return value

    def integer(self, key: str) -> int:
        """A required whole number (`true` and `false` are not numbers)."""
        value: int = self._get(key, int, "a whole number", required=True)
        return value

    def items(self, key: str) -> list[Any]:
        """A required list, its items unchecked."""
        value: list[Any] = self._get(key, list, "a list", required=True)
        return value

    def obj(self, key: str) -> JsonObject:
        """A required nested object."""
        return JsonObject(self._get(key, Mapping, "an object", required=True), f"{self.where}.{key}")

    def objects(self, key: str) -> list[JsonObject]:
        """A required list of objects."""
        return [JsonObject(item, f"{self.where}.{key}[{i}]") for i, item in enumerate(self.items(key))]

    def texts(self, key: str) -> list[str]:
        """A required list of strings."""
        items = self.items(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise Malformed(f"{self.where}.{key}[{i}]: expected a string, got {type_name(item)}")
        return items

    def opt_date(self, key: str) -> date | None:
        """An ISO 8601 date, or None when the field is missing or null."""
        value = self.opt_text(key)
        try:
            return None if value is None else date.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{self.where}.{key}: not an ISO date") from None

    def opt_datetime(self, key: str) -> datetime | None:
        """An ISO 8601 date and time, or None when the field is missing or null."""
        value = self.opt_text(key)
        try:
            return None if value is None else datetime.fromisoformat(value)
        except ValueError:
            raise Malformed(f"{self.where}.{key}: not an ISO date-time") from None

    def datetime(self, key: str) -> datetime:
        """A required ISO 8601 date and time."""
        value = self.opt_datetime(key)
        if value is None:
            raise Malformed(f"{self.where}.{key}: expected an ISO date-time, got null")
        return value

    def opt_code(self, key: str, codes: Mapping[str, T]) -> T | None:
        """The value `codes` gives the field's code, or None when the field is missing or null."""
        value = self._get(key, str, "a code or null", required=False)
        return None if value is None else self._known(key, value, codes)

    def code(self, key: str, codes: Mapping[str, T]) -> T:
        """The value `codes` gives the field's required code."""
        return self._known(key, self._get(key, str, "a code", required=True), codes)

    def _known(self, key: str, value: str, codes: Mapping[str, T]) -> T:
        if value not in codes:
            # Codes are the partner's vocabulary, not personal data: naming the unknown one helps its fix.
            expected = ", ".join(codes)
            raise Malformed(f"{self.where}.{key}: unknown value {value[:20]!r} (expected one of {expected})")
        return codes[value]
