from __future__ import annotations

import base64
import contextlib
import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.federation.ids import (
    MAX_ID_LENGTH,
    MAX_RECORD_ID_LENGTH,
    MAX_SOURCES,
    InvalidPersonId,
    decode_person_id,
    encode_person_id,
)

partners = st.from_regex(r"\A[a-z][a-z0-9_-]{0,39}\Z")
record_ids = st.text(min_size=1, max_size=MAX_RECORD_ID_LENGTH)
sources = st.lists(st.tuples(partners, record_ids), min_size=1, max_size=MAX_SOURCES)
# What demo and real partners use: short ASCII ids with separators, a handful of partners.
typical_sources = st.lists(
    st.tuples(
        st.sampled_from(["north", "south-yorks", "met_police"]), st.from_regex(r"\A[A-Za-z0-9/:.-]{1,24}\Z")
    ),
    min_size=1,
    max_size=MAX_SOURCES,
)


def forged(payload: object) -> str:
    """A P1 id around any JSON payload, canonical base64 and all."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return "P1." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@given(sources)
def test_round_trips_any_sources_that_fit(pairs: list[tuple[str, str]]) -> None:
    try:
        person_id = encode_person_id(pairs)
    except ValueError as exc:
        # Only many long, non-ASCII record ids reach the length limit before the source limit.
        assert "characters long" in str(exc)
        return
    assert decode_person_id(person_id) == tuple(sorted(set(pairs)))
    assert len(person_id) <= MAX_ID_LENGTH


@given(typical_sources)
def test_typical_sources_always_fit(pairs: list[tuple[str, str]]) -> None:
    assert decode_person_id(encode_person_id(pairs)) == tuple(sorted(set(pairs)))


@given(sources, st.randoms(use_true_random=False))
def test_is_independent_of_order_and_repeats(pairs: list[tuple[str, str]], rng: random.Random) -> None:
    shuffled = [*pairs, pairs[0]]
    rng.shuffle(shuffled)
    try:
        expected = encode_person_id(pairs)
    except ValueError:
        return
    assert encode_person_id(shuffled) == expected


@given(sources)
def test_is_url_safe_and_versioned(pairs: list[tuple[str, str]]) -> None:
    try:
        person_id = encode_person_id(pairs)
    except ValueError:
        return
    assert person_id.startswith("P1.")
    assert set(person_id[3:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_separators_in_record_ids_survive() -> None:
    pairs = [("north", "2024/000123:A"), ("north", '["x"]'), ("south", "a,b|c d")]
    assert decode_person_id(encode_person_id(pairs)) == tuple(sorted(pairs))


def test_example_is_compact() -> None:
    person_id = encode_person_id([("south", "S:9"), ("north", "N/1"), ("west", "W-77")])
    assert len(person_id) < 80


@given(st.text(max_size=200))
def test_arbitrary_text_is_rejected_cleanly(text: str) -> None:
    try:
        decode_person_id(text)
    except InvalidPersonId as exc:
        assert len(str(exc)) < 200
    else:  # only a real id decodes
        assert encode_person_id(decode_person_id(text)) == text


@given(st.binary(max_size=300))
def test_arbitrary_payloads_are_rejected_cleanly(raw: bytes) -> None:
    text = "P1." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    with contextlib.suppress(InvalidPersonId):
        decode_person_id(text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_arbitrary_json_is_rejected_cleanly(value: object) -> None:
    with contextlib.suppress(InvalidPersonId):
        decode_person_id(forged(value))


@pytest.mark.parametrize(
    ("person_id", "reason"),
    [
        ("", "non-empty"),
        ("X1.W10", "does not start with 'P1.'"),
        ("P2." + forged([["north", ["1"]]])[3:], "does not start with 'P1.'"),
        ("P1.", "not UTF-8 JSON"),
        ("P1.abc*", "outside URL-safe base64"),
        ("P1.abcde", "base64"),
        ("P1." + "A" * MAX_ID_LENGTH, f"limit is {MAX_ID_LENGTH}"),
        (forged("north"), "non-empty list"),
        (forged([]), "non-empty list"),
        (forged([["north", []]]), "[partner, [record ids]]"),
        (forged([["north", "1"]]), "[partner, [record ids]]"),
        (forged([["North", ["1"]]]), "partner name"),
        (forged([["north", [""]]]), "record id"),
        (forged([["north", ["x" * 65]]]), "record id"),
        (forged([["north", [1]]]), "record id"),
        (forged([["north", [str(n) for n in range(MAX_SOURCES + 1)]]]), f"more than {MAX_SOURCES}"),
        (forged([["south", ["1"]], ["north", ["1"]]]), "canonical"),
        (forged([["north", ["1", "1"]]]), "canonical"),
        (forged([["north", ["1"]]]) + "A", "not UTF-8 JSON"),  # a stray byte after the JSON
        (forged([["north", ["1"]], ["north", ["2"]]]), "canonical"),
        ("P1." + base64.urlsafe_b64encode(b"[" * 1500).decode(), "not UTF-8 JSON"),
        ("P1." + base64.urlsafe_b64encode(b"\xff\xfe").decode().rstrip("="), "not UTF-8 JSON"),
    ],
)
def test_malformed_ids_say_what_is_wrong(person_id: str, reason: str) -> None:
    with pytest.raises(InvalidPersonId, match=None) as caught:
        decode_person_id(person_id)
    assert reason in str(caught.value)


def test_padding_is_not_canonical() -> None:
    person_id = encode_person_id([("north", "1")])
    assert len(person_id[3:]) % 4  # so there would have been padding
    with pytest.raises(InvalidPersonId):
        decode_person_id(person_id + "=")


def test_error_quotes_little_of_the_input() -> None:
    secret = "P1." + "Q" * 500
    with pytest.raises(InvalidPersonId) as caught:
        decode_person_id(secret)
    assert "Q" * 41 not in str(caught.value)


@pytest.mark.parametrize(
    ("pairs", "reason"),
    [
        ([], "at least one"),
        ([("north", str(n)) for n in range(MAX_SOURCES + 1)], f"at most {MAX_SOURCES}"),
        ([("North", "1")], "partner name"),
        ([("north", "")], "record id"),
        ([("north", "x" * 65)], "record id"),
        ([("north", "\ud800")], "Unicode"),
        ([(f"p{n}", "\U0001f600" * 64) for n in range(MAX_SOURCES)], "characters long"),
    ],
)
def test_encoding_refuses_what_would_not_decode(pairs: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        encode_person_id(pairs)
    assert reason in str(caught.value)
