"""The canonical form of an event: the same event always hashes the same, whatever the time zone."""

from __future__ import annotations

import hashlib
from datetime import timedelta, timezone

from hub.audit.chain import GENESIS_HASH, canonical_json, chain_hash, document_hash, event_content
from tests.hub.audit.conftest import make_event


def test_canonical_json_has_sorted_keys_no_whitespace_and_only_ascii() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["\\u00e9",null],"b":1}'


def test_the_same_moment_in_another_zone_hashes_the_same() -> None:
    event = make_event()
    elsewhere = make_event(occurred_at=event.occurred_at.astimezone(timezone(timedelta(hours=5))))
    assert chain_hash(GENESIS_HASH, event_content(1, "e", event, None)) == chain_hash(
        GENESIS_HASH, event_content(1, "e", elsewhere, None)
    )


def test_every_part_of_an_event_changes_its_hash() -> None:
    base = chain_hash(GENESIS_HASH, event_content(1, "e", make_event(), None))
    changed = [
        chain_hash("1" * 64, event_content(1, "e", make_event(), None)),
        chain_hash(GENESIS_HASH, event_content(2, "e", make_event(), None)),
        chain_hash(GENESIS_HASH, event_content(1, "f", make_event(), None)),
        chain_hash(GENESIS_HASH, event_content(1, "e", make_event(purpose="audit"), None)),
        chain_hash(GENESIS_HASH, event_content(1, "e", make_event(disclosed=()), None)),
        chain_hash(GENESIS_HASH, event_content(1, "e", make_event(latency_ms=12.347), None)),
        chain_hash(GENESIS_HASH, event_content(1, "e", make_event(), "0" * 64)),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_document_hash_is_the_sha256_hex_of_the_utf8_document() -> None:
    assert document_hash("{ a }") == hashlib.sha256(b"{ a }").hexdigest()
    assert document_hash(None) is None
