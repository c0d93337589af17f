from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.canonical import Address, Gender, PersonName, PersonRecord
from connectors.pnc import format_pnc_id, normalise_pnc_id
from hub.federation.resolution import (
    MATCH_THRESHOLD,
    MergedName,
    MergedPerson,
    link_confidence,
    merge,
    name_similarity,
    normalise_name,
)

DOB = date(1984, 3, 14)
PNC_A = format_pnc_id(2004, 123456)
PNC_B = format_pnc_id(2011, 987654)


def person(
    partner: str,
    record_id: str,
    family: str,
    given_name: str | None = None,
    *,
    dob: date | None = DOB,
    pnc: str | None = None,
    gender: Gender | None = None,
    aliases: tuple[PersonName, ...] = (),
    addresses: tuple[Address, ...] = (),
) -> PersonRecord:
    return PersonRecord(
        partner=partner,
        record_id=record_id,
        names=(PersonName(family, given_name), *aliases),
        date_of_birth=dob,
        gender=gender,
        pnc_id=pnc,
        addresses=addresses,
    )


# Small pools so that generated records collide on names, dates of birth and PNC IDs.
families = st.sampled_from(["Kilbride", "Killbride", "Smith", "Smyth", "Jones", "O'Brien", "Obrien", "Patel"])
givens = st.one_of(st.none(), st.sampled_from(["Darren", "Daren", "John", "Jon", "J", "Mary", "Priya"]))
names = st.builds(PersonName, families, givens, st.booleans())
pnc_ids = st.one_of(
    st.none(),
    st.sampled_from([PNC_A, PNC_B, "04/123456" + PNC_A[-1], "2004/0123456Z", "not a pnc"]),
)
records = st.builds(
    PersonRecord,
    partner=st.sampled_from(["north", "south", "west"]),
    record_id=st.text("0123456789", min_size=1, max_size=3),
    names=st.lists(names, min_size=1, max_size=3).map(tuple),
    date_of_birth=st.one_of(st.none(), st.sampled_from([DOB, date(1990, 1, 1)])),
    gender=st.one_of(st.none(), st.sampled_from(Gender)),
    pnc_id=pnc_ids,
)
name_text = st.text(max_size=30)  # any Unicode but lone surrogates


class TestNormaliseName:
    @given(name_text)
    def test_is_idempotent(self, text: str) -> None:
        assert normalise_name(normalise_name(text)) == normalise_name(text)

    @given(name_text)
    def test_ignores_case(self, text: str) -> None:
        assert normalise_name(text.upper()) == normalise_name(text.lower()) == normalise_name(text)

    @given(st.lists(st.text("abcdefgh", min_size=1), min_size=1), st.sampled_from([" ", "  ", "\t", " \n "]))
    def test_ignores_whitespace(self, words: list[str], gap: str) -> None:
        assert normalise_name(f" {gap.join(words)}{gap}") == " ".join(words)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Zoë", "zoe"),
            ("ZOE", "zoe"),
            ("O'Brien", "obrien"),
            ("O\u2019Brien", "obrien"),
            ("Smith-Jones", "smith jones"),
            ("  Mc  Donald. ", "mc donald"),
            ("Żółkiewski", "zolkiewski"),
            ("Straße", "strasse"),
        ],
    )
    def test_examples(self, text: str, expected: str) -> None:
        assert normalise_name(text) == expected


class TestNameSimilarity:
    @given(names, names)
    def test_is_symmetric_and_bounded(self, a: PersonName, b: PersonName) -> None:
        score = name_similarity(a, b)
        assert 0.0 <= score <= 1.0
        assert score == name_similarity(b, a)

    @given(st.builds(PersonName, name_text, st.one_of(st.none(), name_text)))
    def test_identical_names_score_one(self, name: PersonName) -> None:
        assert name_similarity(name, name) == 1.0

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            (PersonName("Kilbride", "Darren"), PersonName("Kilbride", "Daren")),
            (PersonName("Smith", "Jon"), PersonName("Smith", "John")),
            (PersonName("Smith", "Bill"), PersonName("Smith", "William")),
            (PersonName("Smith", "J"), PersonName("Smith", "John")),
            (PersonName("Smith", None), PersonName("Smith", "John")),
            (PersonName("KILBRIDE", "darren"), PersonName("Killbride", "Darren")),
            (PersonName("O'Brien", "Zoë"), PersonName("OBrien", "Zoe")),
            (PersonName("Smith", "John Paul"), PersonName("Smith", "John")),
            (PersonName("Kilbride", "Darren"), PersonName("Darren", "Kilbride")),
        ],
    )
    def test_typos_nicknames_initials_and_gaps_match(self, a: PersonName, b: PersonName) -> None:
        assert name_similarity(a, b) >= MATCH_THRESHOLD

    @pytest.mark.parametrize(
        ("a", "b"),
        [
            (PersonName("Smith", "John"), PersonName("Jones", "Mary")),
            (PersonName("Smith", "John"), PersonName("Smart", "John")),
            (PersonName("Smith", "John"), PersonName("Smith", "Mary")),
            (PersonName("Smith", "John"), PersonName("Smith", "Peter")),
            (PersonName("Smith", "J"), PersonName("Smith", "Mary")),
        ],
    )
    def test_different_names_do_not_match(self, a: PersonName, b: PersonName) -> None:
        assert name_similarity(a, b) < MATCH_THRESHOLD

    def test_clearly_different_names_score_low(self) -> None:
        assert name_similarity(PersonName("Smith", "John"), PersonName("Jones", "Mary")) < 0.4


class TestLinkConfidence:
    @given(records, records)
    def test_is_symmetric(self, a: PersonRecord, b: PersonRecord) -> None:
        assert link_confidence(a, b) == link_confidence(b, a)

    def test_same_pnc_id_links_with_certainty_whatever_the_names(self) -> None:
        a = person("north", "1", "Kilbride", "Darren", pnc=PNC_A)
        b = person("south", "x", "Jones", "Mary", pnc="04/0123456" + PNC_A[-1].lower(), dob=None)
        assert link_confidence(a, b) == 1.0

    def test_different_pnc_ids_never_link(self) -> None:
        a = person("north", "1", "Kilbride", "Darren", pnc=PNC_A)
        b = person("south", "1", "Kilbride", "Darren", pnc=PNC_B)
        assert link_confidence(a, b) is None

    def test_invalid_pnc_id_counts_as_absent(self) -> None:
        a = person("north", "1", "Kilbride", "Darren", pnc=PNC_A)
        b = person("south", "1", "Kilbride", "Darren", pnc="2004/0123456Z")
        assert normalise_pnc_id("2004/0123456Z") is None
        assert link_confidence(a, b) == 1.0  # identical names, same date of birth

    def test_different_dates_of_birth_never_link_without_pnc_id(self) -> None:
        a = person("north", "1", "Kilbride", "Darren")
        b = person("south", "1", "Kilbride", "Darren", dob=date(1984, 3, 15))
        assert link_confidence(a, b) is None

    def test_missing_date_of_birth_never_links_without_pnc_id(self) -> None:
        a = person("north", "1", "Kilbride", "Darren")
        b = person("south", "1", "Kilbride", "Darren", dob=None)
        assert link_confidence(a, b) is None

    def test_same_names_and_date_of_birth_link(self) -> None:
        a = person("north", "1", "Kilbride", "Darren")
        b = person("south", "1", "Kilbride", "Daren")
        confidence = link_confidence(a, b)
        assert confidence is not None
        assert confidence >= MATCH_THRESHOLD

    def test_alias_names_count(self) -> None:
        a = person("north", "1", "Jones", "Mary", aliases=(PersonName("Kilbride", "Darren", alias=True),))
        b = person("south", "1", "Kilbride", "Darren")
        assert link_confidence(a, b) == 1.0

    def test_male_and_female_records_do_not_link_on_name_alone(self) -> None:
        a = person("north", "1", "Smith", "John", gender=Gender.MALE)
        b = person("south", "1", "Smith", "Joan", gender=Gender.FEMALE)
        assert link_confidence(a, b) is None


class TestMerge:
    @given(st.lists(records, max_size=25))
    def test_every_record_is_in_exactly_one_person(self, batch: list[PersonRecord]) -> None:
        merged = [record for person in merge(batch) for record in person.records]
        assert Counter(map(repr, merged)) == Counter(map(repr, batch))

    @given(st.lists(records, max_size=25))
    def test_no_person_holds_two_pnc_ids(self, batch: list[PersonRecord]) -> None:
        for merged in merge(batch):
            assert len({normalise_pnc_id(r.pnc_id) for r in merged.records} - {None}) <= 1

    @given(st.lists(records, max_size=25), st.randoms(use_true_random=False))
    def test_is_independent_of_input_order(self, batch: list[PersonRecord], rng: random.Random) -> None:
        shuffled = list(batch)
        rng.shuffle(shuffled)
        assert merge(shuffled) == merge(batch)

    @given(st.lists(records, max_size=25))
    def test_confidence_is_one_alone_else_at_least_the_threshold(self, batch: list[PersonRecord]) -> None:
        for merged in merge(batch):
            if len(merged.records) == 1:
                assert merged.confidence == 1.0
            assert MATCH_THRESHOLD <= merged.confidence <= 1.0

    @given(st.lists(records.map(lambda r: replace(r, pnc_id=None)), max_size=20))
    def test_without_pnc_ids_people_are_the_linked_components(self, batch: list[PersonRecord]) -> None:
        # Brute force over all pairs: blocking must find every link that comparing everything would.
        group = list(range(len(batch)))
        for i, j in combinations(range(len(batch)), 2):
            if link_confidence(batch[i], batch[j]) is not None:
                old, new = group[j], group[i]
                group = [new if g == old else g for g in group]
        expected = sorted(
            sorted(repr(r) for r, g in zip(batch, group, strict=True) if g == k) for k in set(group)
        )
        assert sorted(sorted(map(repr, p.records)) for p in merge(batch)) == expected

    def test_single_record(self) -> None:
        [merged] = merge([person("north", "1", "Kilbride", "Darren")])
        assert merged.confidence == 1.0
        assert merged.sources == (("north", "1"),)

    def test_same_person_in_three_forces_merges(self) -> None:
        batch = [
            person("west", "W-77", "Kilbride", "Darren", gender=Gender.MALE),
            person("north", "N/1", "Kilbride", "Darren", pnc=PNC_A, gender=Gender.MALE),
            person("south", "S:9", "KILBRIDE", "Daren", pnc=PNC_A.lower()),
            person("south", "S:10", "Jones", "Mary", gender=Gender.FEMALE),
        ]
        mary, darren = merge(batch)
        assert mary.sources == (("south", "S:10"),)
        assert darren.sources == (("north", "N/1"), ("south", "S:9"), ("west", "W-77"))
        assert darren.pnc_id == PNC_A
        assert darren.gender is Gender.MALE
        assert darren.date_of_birth == DOB
        assert MATCH_THRESHOLD <= darren.confidence <= 1.0
        assert [n.given_name for n in darren.names] == ["Darren", "Daren"]

    def test_a_name_link_never_chains_two_pnc_ids(self) -> None:
        batch = [
            person("north", "1", "Kilbride", "Darren", pnc=PNC_A),
            person("south", "1", "Kilbride", "Darren", pnc=PNC_B),
            person("west", "1", "Kilbride", "Darren"),
        ]
        people = merge(batch)
        assert sorted(len(p.records) for p in people) == [1, 2]
        assert {p.pnc_id for p in people} == {PNC_A, PNC_B}

    def test_pnc_id_joins_records_with_a_mistyped_date_of_birth(self) -> None:
        batch = [
            person("north", "1", "Kilbride", "Darren", pnc=PNC_A),
            person("south", "1", "Kilbride", "Darren", pnc=PNC_A, dob=date(1984, 3, 15)),
            person("south", "2", "Kilbride", "Darren", dob=date(1984, 3, 15)),
        ]
        [merged] = merge(batch)
        assert merged.date_of_birth == date(1984, 3, 15)  # two records of three agree

    def test_a_tie_goes_to_the_first_record(self) -> None:
        batch = [
            person("south", "1", "Kilbride", "Darren", pnc=PNC_A, dob=date(1984, 3, 15)),
            person("north", "1", "Kilbride", "Darren", pnc=PNC_A),
        ]
        [merged] = merge(batch)
        assert merged.date_of_birth == DOB  # north sorts first

    def test_output_is_ordered_by_name_then_date_of_birth(self) -> None:
        batch = [
            person("north", "1", "Smith", "John", dob=date(1990, 1, 1)),
            person("north", "2", "Smith", "John", dob=date(1980, 1, 1)),
            person("north", "3", "Adams", "Zoe"),
            person("north", "4", "Smith", "Adam", dob=None),
        ]
        assert [p.sources[0][1] for p in merge(batch)] == ["3", "4", "2", "1"]

    def test_a_few_hundred_records_of_one_date_of_birth(self) -> None:
        rng = random.Random(7)
        batch = [
            person("north", str(i), rng.choice(["Smith", "Jones"]) + str(i % 50), rng.choice(["Ann", "Bo"]))
            for i in range(300)
        ]
        assert sum(len(p.records) for p in merge(batch)) == 300


class TestMergedPerson:
    def test_names_dedupe_primary_first_most_recorded_first(self) -> None:
        alias = PersonName("Jones", "Dazza", alias=True)
        merged = MergedPerson(
            (
                person("south", "2", "kilbride", "daren", aliases=(alias,)),
                person("north", "1", "Kilbride", "Darren", aliases=(alias,)),
                person("west", "3", "Kilbride", "Darren"),
            ),
            0.9,
        )
        assert merged.sources == (("north", "1"), ("south", "2"), ("west", "3"))
        assert merged.names == (
            MergedName("Kilbride", "Darren", True, ("north", "west")),
            MergedName("kilbride", "daren", True, ("south",)),
            MergedName("Jones", "Dazza", False, ("north", "south")),
        )

    def test_addresses_dedupe_by_postcode_and_first_line(self) -> None:
        home = Address(("1 High Street",), "Leeds", "LS1 4AB")
        merged = MergedPerson(
            (
                person("north", "1", "Smith", addresses=(home,)),
                person("south", "1", "Smith", addresses=(Address(("1 HIGH STREET",), None, "ls14ab"),)),
                person("west", "1", "Smith", addresses=(Address(("2 High Street",), "Leeds", "LS1 4AB"),)),
            )
        )
        assert merged.addresses == (home, Address(("2 High Street",), "Leeds", "LS1 4AB"))

    def test_unknown_gender_yields_to_a_known_one(self) -> None:
        merged = MergedPerson(
            (
                person("a", "1", "Smith", gender=Gender.UNKNOWN),
                person("b", "1", "Smith", gender=Gender.UNKNOWN),
                person("c", "1", "Smith", gender=Gender.FEMALE),
            )
        )
        assert merged.gender is Gender.FEMALE

    def test_needs_a_record(self) -> None:
        with pytest.raises(ValueError, match="at least one record"):
            MergedPerson(())
