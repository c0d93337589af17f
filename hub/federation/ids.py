"""The hub's person id: opaque to callers, stable, signed, and carrying the source records it was merged from.

A merged person has no record of its own, so its id encodes its sources, the (partner, record_id) pairs:
asked for a person by id, the hub asks exactly those partners for exactly those records, with no lookup table
shared between replicas. The same sources always give the same id, whatever their order (while the same key
signs).

Signed, because an id is a capability: it says which records to fetch. Without a signature a caller could
name any records it never found, or weld several people into one (`PersonIds`):

    P2.<kid>.<mac>.<sources>

`kid` names the key (`hub.auth.person_id_keys`, shared by every replica through the database), `mac` is the
first 16 bytes of HMAC-SHA256 over `<kid>.<sources>`, URL-safe base64 without padding. An id whose mac does
not verify, or that names an unknown key, is refused (`InvalidPersonId`); one signed by a key retired longer
ago than the ids' lifetime is refused as expired (`PersonIdExpired`).

`<sources>`: the body of the unsigned encoding (`encode_person_id`, format `P1.`), the URL-safe base64,
without padding, of compact UTF-8 JSON grouping record ids by partner, both sorted:
`[["north",["N/1","N/2"]],["south",["S:9"]]]`. JSON, not a separator, because record ids may contain any
character. Only the canonical encoding of a set of sources decodes, so each person has exactly one id.

Limits: at most `MAX_SOURCES` sources and `MAX_ID_LENGTH` characters (decoding work stays bounded whatever
a caller sends). Long, non-ASCII record ids from many partners can exceed the length before the source count;
`encode_person_id` refuses rather than mint an id that would not decode.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import groupby
from typing import Protocol

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_RECORD_ID_LENGTH",
    "MAX_SOURCES",
    "InvalidPersonId",
    "KeyRing",
    "PersonIdExpired",
    "PersonIds",
    "decode_person_id",
    "encode_person_id",
]

#: The longest person id the hub issues or reads.
MAX_ID_LENGTH = 12288
#: The most source records one person id may name.
MAX_SOURCES = 64
#: The longest partner record id, in characters.
MAX_RECORD_ID_LENGTH = 64

_PREFIX = "P1."
_PARTNER = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_PREVIEW = 32

Source = tuple[str, str]


class InvalidPersonId(ValueError):
    """A person id the hub did not issue: malformed, truncated, tampered with or too long."""


def _source_problem(partner: object, record_id: object) -> str | None:
    """What is wrong with one (partner, record_id) pair, or None."""
    if not isinstance(partner, str) or not _PARTNER.fullmatch(partner):
        return "a partner name must match ^[a-z][a-z0-9_-]{0,39}$"
    if not isinstance(record_id, str) or not 1 <= len(record_id) <= MAX_RECORD_ID_LENGTH:
        return f"a record id must be a string of 1 to {MAX_RECORD_ID_LENGTH} characters"
    try:
        record_id.encode("utf-8")
    except UnicodeEncodeError:
        return "a record id must be valid Unicode text"
    return None


def _encode(sources: list[Source]) -> str:
    groups = [
        [partner, [record_id for _, record_id in group]]
        for partner, group in groupby(sources, lambda s: s[0])
    ]
    payload = json.dumps(groups, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _PREFIX + base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def encode_person_id(sources: Iterable[tuple[str, str]]) -> str:
    """The person id for a set of source records.

    Args:
        sources: (partner, record_id) pairs, in any order; duplicates count once.

    Returns:
        A URL-safe id starting with `P1.`, the same for the same set of sources.

    Raises:
        ValueError: No sources, more than `MAX_SOURCES`, a malformed partner name or record id, or an id that
            would be longer than `MAX_ID_LENGTH`. These are the hub's own bugs or data, not a caller's.
    """
    unique = sorted(set(sources))
    if not unique:
        raise ValueError("A person id needs at least one source record")
    if len(unique) > MAX_SOURCES:
        raise ValueError(f"A person id may name at most {MAX_SOURCES} source records, not {len(unique)}")
    for partner, record_id in unique:
        if problem := _source_problem(partner, record_id):
            shown = f"({str(partner)[:_PREVIEW]!r}, {str(record_id)[:_PREVIEW]!r})"
            raise ValueError(f"Source {shown} is invalid: {problem}")
    person_id = _encode(unique)
    if len(person_id) > MAX_ID_LENGTH:
        raise ValueError(
            f"The person id would be {len(person_id)} characters long; the limit is {MAX_ID_LENGTH}"
        )
    return person_id


def _invalid(person_id: str, reason: str) -> InvalidPersonId:
    # Escapes make repr() of unprintable text several times longer: the preview is cut after repr().
    shown = repr(person_id[:_PREVIEW])
    if len(shown) > 2 * _PREVIEW or len(person_id) > _PREVIEW:
        shown = shown[: 2 * _PREVIEW] + "..."
    return InvalidPersonId(f"{shown} is not a person id issued by this hub: {reason}")


class _Malformed(Exception):
    """Decoded JSON that is not a list of sources; the message says how."""


def _parse(data: object) -> list[Source]:
    """The sources in decoded JSON, or `_Malformed`."""
    if not isinstance(data, list) or not data:
        raise _Malformed("expected a non-empty list of partners")
    sources: list[Source] = []
    for group in data:
        if not (isinstance(group, list) and len(group) == 2 and isinstance(group[1], list) and group[1]):
            raise _Malformed("expected [partner, [record ids]] for each partner")
        partner, record_ids = group
        for record_id in record_ids:
            if len(sources) == MAX_SOURCES:
                raise _Malformed(f"it names more than {MAX_SOURCES} source records")
            if problem := _source_problem(partner, record_id):
                raise _Malformed(problem)
            sources.append((partner, record_id))
    return sources


def decode_person_id(person_id: str) -> tuple[tuple[str, str], ...]:
    """The source records a person id names, sorted by (partner, record_id).

    Raises:
        InvalidPersonId: Anything that `encode_person_id` did not produce. The message quotes at most the
            first 32 characters of the input.
    """
    if not isinstance(person_id, str) or not person_id:
        raise InvalidPersonId("A person id must be a non-empty string")
    if len(person_id) > MAX_ID_LENGTH:
        raise _invalid(person_id, f"it is {len(person_id)} characters long; the limit is {MAX_ID_LENGTH}")
    if not person_id.startswith(_PREFIX):
        raise _invalid(person_id, f"it does not start with {_PREFIX!r}")
    body = person_id.removeprefix(_PREFIX)
    if not _BASE64URL.fullmatch(body):
        raise _invalid(person_id, "it contains characters outside URL-safe base64")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except binascii.Error as exc:
        raise _invalid(person_id, "its base64 is truncated") from exc
    try:
        data = json.loads(payload.decode("utf-8"))
    # RecursionError: a payload of nested brackets well within the length limit is deeper than json will go.
    except (ValueError, RecursionError) as exc:
        raise _invalid(person_id, "its content is not UTF-8 JSON") from exc
    try:
        sources = _parse(data)
    except _Malformed as exc:
        raise _invalid(person_id, str(exc)) from exc
    if _encode(sorted(set(sources))) != person_id:
        raise _invalid(person_id, "it is not in canonical form (sources sorted, each once, no padding)")
    return tuple(sources)


class PersonIdExpired(InvalidPersonId):
    """A genuine person id, signed by a key retired longer ago than the ids' lifetime: search again."""


class KeyRing(Protocol):
    """Where `PersonIds` gets its keys (`hub.auth.person_id_keys.PersonIdKeys`)."""

    def signing(self) -> tuple[str, bytes]:
        """(kid, secret) of the key that signs new ids."""
        ...

    def verifying(self, kid: str) -> tuple[bytes, datetime | None] | None:
        """(secret, readable until) of key `kid` (until None: no end), or None if unknown here."""
        ...

    async def find(self, kid: str) -> None:
        """Look for key `kid` again (it may have been made by another replica since)."""
        ...

    async def fresh(self) -> None:
        """Make sure the keys in memory are recent (a rotation elsewhere is seen within a cache period)."""
        ...


_SIGNED_PREFIX = "P2."
_KID = re.compile(r"[0-9a-f]{8}")
_MAC_BYTES = 16


def _mac(secret: bytes, kid: str, body: str) -> str:
    digest = hmac.new(secret, f"{kid}.{body}".encode("ascii"), hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class PersonIds:
    """Issues and reads signed person ids.

    Args:
        keys: The person-id keys.
    """

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys

    def encode(self, sources: Iterable[tuple[str, str]]) -> str:
        """The signed id of a set of source records (`encode_person_id` says what it refuses)."""
        body = encode_person_id(sources).removeprefix(_PREFIX)
        kid, secret = self.keys.signing()
        return f"{_SIGNED_PREFIX}{kid}.{_mac(secret, kid, body)}.{body}"

    async def decode(self, person_id: str, *, expired: bool = False) -> tuple[tuple[str, str], ...]:
        """The source records a signed id names, sorted.

        Args:
            person_id: What the caller sent.
            expired: Accept an id whose key is past the ids' lifetime (the auditors' access log: an old id
                still names who was looked at).

        Raises:
            PersonIdExpired: A genuine id past its lifetime (unless `expired`).
            InvalidPersonId: Anything the hub did not sign: malformed, tampered with, unknown key.
        """
        if not isinstance(person_id, str) or not person_id:
            raise InvalidPersonId("A person id must be a non-empty string")
        if len(person_id) > MAX_ID_LENGTH + 64:
            raise _invalid(person_id, f"it is {len(person_id)} characters long; the limit is {MAX_ID_LENGTH}")
        if not person_id.startswith(_SIGNED_PREFIX):
            raise _invalid(person_id, "it is not a signed id (ids start with 'P2.'; search to get one)")
        kid, _, rest = person_id.removeprefix(_SIGNED_PREFIX).partition(".")
        mac, _, body = rest.partition(".")
        if not _KID.fullmatch(kid) or not mac or not body:
            raise _invalid(person_id, "it is not of the form P2.<key>.<signature>.<sources>")
        await self.keys.find(kid)
        found = self.keys.verifying(kid)
        if found is None:
            raise _invalid(person_id, "it names a key this hub does not have")
        secret, readable_until = found
        if not hmac.compare_digest(_mac(secret, kid, body), mac):
            raise _invalid(person_id, "its signature does not match: it was altered or made elsewhere")
        if readable_until is not None and datetime.now(UTC) >= readable_until and not expired:
            raise PersonIdExpired(
                "That person id has expired (its key was retired); search again for a current id."
            )
        return decode_person_id(_PREFIX + body)
