"""Police National Computer identifiers: parsing, validation and the mod-23 check character.

A PNC ID is written `YYYY/NNNNNNNL`: the year the record was created, a serial number and a check letter.
The check letter is `CHECK_LETTERS[int(YY + NNNNNNN) % 23]`, where YY is the last two digits of the year and
the serial is zero-padded to seven digits. The short form `YY/NNNNNNNL` (or fewer serial digits) is accepted
on input; the canonical form is always the long one.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

__all__ = [
    "CHECK_LETTERS",
    "InvalidPncId",
    "check_letter",
    "format_pnc_id",
    "normalise_pnc_id",
    "parse_pnc_id",
]

#: The 23 letters of the alphabet less I, O and S (too easily misread), starting at Z for remainder 0.
CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"

_PNC = re.compile(r"^\s*(\d{2}|\d{4})\s*/\s*(\d{1,7})\s*([A-Za-z])\s*$")


class InvalidPncId(ValueError):
    """The text is not a PNC ID, or its check letter is wrong."""


def check_letter(year: int, serial: int) -> str:
    """The check letter for the record created in `year` with serial number `serial`."""
    if not 0 <= serial <= 9_999_999:
        raise InvalidPncId(f"PNC serial {serial} is out of range 0..9999999")
    return CHECK_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def format_pnc_id(year: int, serial: int) -> str:
    """The canonical PNC ID `YYYY/NNNNNNNL` for a four-digit year and a serial number."""
    if not 1000 <= year <= 9999:
        raise InvalidPncId(f"PNC year {year} must have four digits")
    return f"{year:04d}/{serial:07d}{check_letter(year, serial)}"


def _expand_year(two_digits: int, today: date | None = None) -> int:
    this_year = (today or date.today()).year
    century = this_year - this_year % 100
    year = century + two_digits
    return year - 100 if year > this_year else year


def parse_pnc_id(text: str, today: date | None = None) -> tuple[int, int]:
    """The (year, serial) of a PNC ID, or `InvalidPncId` saying what is wrong with it."""
    match = _PNC.match(text)
    if match is None:
        raise InvalidPncId(f"'{text}' is not a PNC ID: expected YYYY/NNNNNNNL, for example 2004/0123456M")
    year_text, serial_text, letter = match.groups()
    year = int(year_text) if len(year_text) == 4 else _expand_year(int(year_text), today)
    serial = int(serial_text)
    expected = check_letter(year, serial)
    if letter.upper() != expected:
        raise InvalidPncId(f"'{text}' has check letter {letter.upper()}, but it should be {expected}")
    return year, serial


def normalise_pnc_id(text: str | None, today: date | None = None) -> str | None:
    """The canonical form of a PNC ID, or None for an empty or invalid one (partners hold typos)."""
    if not text:
        return None
    return _normalised(text, today or date.today())


@lru_cache(maxsize=65_536)
def _normalised(text: str, today: date) -> str | None:
    # Remembered: the same partners' ids are normalised for every request that reads them, several times
    # (reading the record, matching, the merged person). `today` is part of the key: it decides two-digit
    # years.
    try:
        return format_pnc_id(*parse_pnc_id(text, today))
    except InvalidPncId:
        return None
