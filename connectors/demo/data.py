"""Deterministic synthetic records for the three demo forces, written into their databases.

The same `(people, seed)` always yields the same databases: every random choice comes from a
`random.Random` seeded from them, never from the clock. Each force holds `people` generated nominals plus
the fixed `SHOWCASE` people (refs 1-99 are reserved for them; generated refs start at 100).

Overlap, so that entity resolution has real work: of each force's generated people, 10% are the same real
people in all three forces and 25% are shared with exactly one other force (12.5% per pair). Copies share
date of birth, sex and (when recorded) PNC ID, but each force spells names its own way (Jon/John, a 3%
family-name typo), records its own aliases and addresses, misses the PNC ID in 20% of copies, and knows only
its own incidents. Shared people are generated from a seed of their own, so one force can be generated
alone and still agree with the others; a force's own people and all its records come from the force's
stream. The nominal order is a fixed permutation, so shared people are spread through the ref range.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import json
import math
import os
import random
import sys
import unicodedata
from asyncio.subprocess import PIPE
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateTable

from connectors.demo import _names as v
from connectors.demo import layout
from connectors.pnc import CHECK_LETTERS, format_pnc_id

__all__ = [
    "FORCES",
    "PARALLEL_FROM",
    "REFERENCE_TIME",
    "SHOWCASE",
    "ForceInfo",
    "Row",
    "ShowcasePerson",
    "populate",
    "population",
]

Row = dict[str, Any]
_T = TypeVar("_T")

#: The day the synthetic world stops: nothing happens after it, so records do not depend on today's date.
REFERENCE_TIME = datetime(2025, 6, 30, 12, 0)
_FIRST_GENERATED = 100
_TABLES = layout.metadata.sorted_tables  # parents before children: PostgreSQL checks foreign keys


@dataclass(frozen=True, slots=True)
class ForceInfo:
    """A demo force: its short name (the partner name), its title and its nominal ref prefix."""

    name: str
    title: str
    ref_prefix: str

    def ref(self, number: int, kind: str = "") -> str:
        """The force's ref for record `number`: nominals `NS000123`, other records `NSINT0000123`."""
        return f"{self.ref_prefix}{number:06d}" if not kind else f"{self.ref_prefix}{kind}{number:07d}"


FORCES: dict[str, ForceInfo] = {
    f.name: f
    for f in (
        ForceInfo("northshire", "Northshire Police", "NS"),
        ForceInfo("southmoor", "Southmoor Constabulary", "SM-"),
        ForceInfo("eastvale", "Eastvale Police", "EV"),
    )
}


@dataclass(frozen=True, slots=True)
class ShowcasePerson:
    """A fixed person present in every generated data set, for the README and end-to-end tests.

    Attributes:
        given_name: the given name as the person is really called (a force may spell it differently).
        family_name: the family name, as stored.
        date_of_birth: the same in every force.
        pnc_id: the person's PNC ID, or None if no force holds one.
        forces: the forces holding a record of the person.
        note: why the person is interesting.
        refs: the person's nominal ref in each force, in the order of `forces`.
        gender: `M` or `F`.
    """

    given_name: str
    family_name: str
    date_of_birth: date
    pnc_id: str | None
    forces: tuple[str, ...]
    note: str
    refs: tuple[str, ...]
    gender: str

    def ref(self, force: str) -> str:
        """The person's nominal ref in `force` (KeyError if that force does not hold them)."""
        try:
            return self.refs[self.forces.index(force)]
        except ValueError:
            raise KeyError(force) from None


class _Marker(NamedTuple):
    code: str
    text: str
    raised_on: date


class _Intel(NamedTuple):
    source: str
    grade: str
    handling: str
    conditions: str | None
    summary: str
    full: str
    logged_at: datetime


class _Custody(NamedTuple):
    suite: str
    arrested_at: datetime
    reason: str
    authorised_by: str
    released_at: datetime | None
    disposal: str | None
    risk_flags: str | None
    offences: tuple[tuple[str, str], ...]


class _Referral(NamedTuple):
    kind: str
    occurred_at: datetime
    children_present: bool | None
    summary: str


@dataclass(frozen=True, slots=True)
class _Copy:
    """One force's record of a showcase person: how it names them and what it knows."""

    forenames: str
    has_pnc: bool
    address: tuple[str, str | None, str, str]
    aliases: tuple[tuple[str, str | None], ...] = ()
    markers: tuple[_Marker, ...] = ()
    intel: tuple[_Intel, ...] = ()
    custody: tuple[_Custody, ...] = ()
    referrals: tuple[_Referral, ...] = ()
    nationality: str = "British"
    cro: str | None = None


_SHOWCASE_COPIES: dict[str, list[tuple[ShowcasePerson, _Copy]]] = {name: [] for name in FORCES}


def _showcase(
    number: int,
    name: tuple[str, str, date],
    pnc: str | None,
    gender: str,
    note: str,
    copies: dict[str, _Copy],
) -> ShowcasePerson:
    given, family, born = name
    forces = tuple(copies)
    refs = tuple(FORCES[force].ref(number) for force in forces)
    person = ShowcasePerson(given, family, born, pnc, forces, note, refs, gender)
    for force, copy in copies.items():
        _SHOWCASE_COPIES[force].append((person, copy))
    return person


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


_DARREN_NOTE = (
    "In all three forces: PNC ID in Northshire and Southmoor (spelt 'Daren' there), none in Eastvale; "
    "firearms and violent markers, intelligence with handling conditions, custody (held now in Eastvale) "
    "and a domestic-abuse referral with children present."
)
_DARREN = {
    "northshire": _Copy(
        "Darren",
        True,
        ("27 Tannery Lane", None, "Northam", "NS3 6QT"),
        aliases=(("Kilbride", "Daz"),),
        cro="318824/01D",
        markers=(
            _Marker("VI", "Violent towards police on arrest", date(2012, 8, 14)),
            _Marker(
                "FI", "Intelligence suggests access to a handgun; approach with caution", date(2024, 10, 22)
            ),
        ),
        intel=(
            _Intel(
                "2", "B", "P", None,
                "Subject linked to the supply of crack cocaine in the Northam area.",
                "Information received that Darren KILBRIDE is supplying crack cocaine from an address on "
                "Tannery Lane, Northam. Customers attend in the evenings and deliveries are made in a black "
                "Audi A3, registration NX18 KLB.",
                _at("2023-02-14T10:20"),
            ),
            _Intel(
                "1", "B", "C", v.HANDLING_CONDITIONS[0],
                "Subject reported to have access to a firearm.",
                "A reliable source reports that Darren KILBRIDE keeps a handgun wrapped in a towel in the "
                "loft of a relative's address in Hexley and has shown it to associates at the Red Lion, "
                "Northam.",
                _at("2024-10-21T16:05"),
            ),
        ),
        custody=(
            _Custody(
                "Northam Custody Suite", _at("2023-03-04T01:15"),
                "On suspicion of assault occasioning actual bodily harm", "PS 2417 Hargreaves",
                _at("2023-03-04T19:40"), "CHARGED", "Violent to staff;Alcohol dependent",
                (("OF61016", "Assault occasioning actual bodily harm"), ("PU86004", "Threatening behaviour")),
            ),
            _Custody(
                "Hexley Custody Centre", _at("2024-10-25T06:30"), "On suspicion of possession of a firearm",
                "PS 3180 Okoro", _at("2024-10-26T04:10"), "RUI", "Violent to staff",
                (("FI68001", "Possess a firearm without a certificate"),),
            ),
        ),
        referrals=(
            _Referral(
                "DA", _at("2024-11-03T23:40"), True,
                "Assault on partner at the home address after an argument; two children (aged 4 and 7) "
                "present. DASH risk high.",
            ),
        ),
    ),
    "southmoor": _Copy(
        "Daren",
        True,
        ("Flat 6, Heron Court", "Canal Street", "Moorcaster", "SM2 4JX"),
        markers=(_Marker("VI", "Assaulted custody staff", date(2016, 7, 9)),),
        intel=(
            _Intel(
                "2", "C", "P", None,
                "Subject associating with known offenders in Moorcaster.",
                "Daren KILBRIDE has been seen regularly with known drug suppliers at the Crown public house, "
                "Moorcaster, and was seen leaving in a black Audi A3.",
                _at("2020-06-11T14:45"),
            ),
        ),
        custody=(
            _Custody(
                "Moorcaster Central Custody", _at("2021-08-21T23:05"), "On suspicion of affray",
                "PS 1942 Whitfield", _at("2021-08-22T14:30"), "CAUTION", None, (("PU86001", "Affray"),),
            ),
        ),
    ),
    "eastvale": _Copy(
        "Darren",
        False,
        ("4 Wharf Road", None, "Stowbridge", "EV5 2NP"),
        markers=(_Marker("WE", "Known to carry a knife", date(2025, 6, 29)),),
        custody=(
            _Custody(
                "Stowbridge Police Station", _at("2025-06-29T22:40"),
                "On suspicion of possession of a bladed article", "PS 2755 Lindqvist", None, None,
                "Violent to staff", (("CJ88001", "Possess a bladed article in a public place"),),
            ),
        ),
    ),
}
_CHLOE = {
    "northshire": _Copy(
        "Chloe",
        False,
        ("12 Meadow Close", None, "Caldermouth", "NS8 3DF"),
        referrals=(
            _Referral(
                "CP", _at("2021-02-11T09:30"), None,
                "School raised concerns about neglect and unexplained bruising; strategy discussion held "
                "with children's social care.",
            ),
            _Referral(
                "MISS", _at("2023-09-16T22:10"), None,
                "Reported missing from home overnight; found in Hexley with older males; exploitation "
                "concerns raised.",
            ),
        ),
    ),
    "southmoor": _Copy(
        "Chloe Louise",
        False,
        ("Flat 2, Larch House", "Fernhill Road", "Pendleford", "SM6 1RW"),
        aliases=(("Pritchard", "Chloe"),),
        referrals=(
            _Referral(
                "MISS", _at("2024-03-02T18:45"), None,
                "Missing from care placement in Pendleford; located in Moorcaster by officers, return "
                "interview arranged.",
            ),
            _Referral(
                "CP", _at("2024-03-05T11:00"), None,
                "Strategy meeting after missing episode; concerns about child criminal exploitation.",
            ),
        ),
    ),
}
_JAMIE = {
    "southmoor": _Copy(
        "Jamie",
        False,
        ("88 Victoria Road", None, "Brackwater", "SM9 5TL"),
        markers=(_Marker("DR", "Suspected supplier of Class A drugs", date(2019, 4, 20)),),
        custody=(
            _Custody(
                "Brackwater Police Station", _at("2019-04-18T15:20"),
                "On suspicion of possession with intent to supply", "PS 1942 Whitfield",
                _at("2019-04-19T11:05"), "RUI", "Drug user",
                (
                    ("MD71201", "Possess with intent to supply Class A - crack cocaine"),
                    ("MD71231", "Possess a controlled drug of Class B - cannabis"),
                ),
            ),
        ),
    ),
    "eastvale": _Copy(
        "Jamie Chidi",
        False,
        ("3 Kestrel Way", None, "Aldermouth", "EV2 8HU"),
        markers=(_Marker("DR", "Known user of cannabis and cocaine", date(2022, 5, 10)),),
        custody=(
            _Custody(
                "Aldermouth Custody Centre", _at("2022-05-07T20:50"),
                "On suspicion of possession of cannabis", "PS 4410 Brennan", _at("2022-05-08T02:15"),
                "CAUTION", None,
                (("MD71231", "Possess a controlled drug of Class B - cannabis"),),
            ),
        ),
    ),
}
_MARGARET = {
    "northshire": _Copy(
        "Margaret",
        True,
        ("41 Gladstone Terrace", None, "Ashby Bridge", "NS11 2PB"),
        aliases=(("Doyle", "Margaret"),),
        nationality="Irish",
        markers=(
            _Marker(
                "MN",
                "Detained under s136 Mental Health Act several times; may become distressed if restrained",
                date(2018, 2, 3),
            ),
        ),
        referrals=(
            _Referral(
                "MISS", _at("2022-01-14T08:20"), None,
                "Reported missing by family after leaving a mental health ward; located by officers in "
                "Caldermouth.",
            ),
        ),
    ),
}
_KATHERINE = {
    "northshire": _Copy(
        "Katherine",
        True,
        ("9 Orchard Grove", None, "Northam", "NS2 7GA"),
        custody=(
            _Custody(
                "Northam Custody Suite", _at("2016-11-02T10:15"), "On suspicion of handling stolen goods",
                "PS 2417 Hargreaves", _at("2016-11-02T18:30"), "NFA", None,
                (("TH68043", "Handling stolen goods"),),
            ),
        ),
    ),
    "eastvale": _Copy(
        "Kate",
        True,
        ("17 Heron Drive", None, "Fenwick Market", "EV7 3AB"),
        aliases=(("Pryce", "Katherine"),),
        intel=(
            _Intel(
                "2", "C", "C", v.HANDLING_CONDITIONS[3],
                "Subject suspected of involvement in courier fraud.",
                "Information suggests Kate ASHWORTH collects cash from elderly victims of courier fraud in "
                "Stowbridge for an organised group, using a silver Vauxhall Corsa, registration EV19 TKA.",
                _at("2024-04-09T14:00"),
            ),
        ),
    ),
}

SHOWCASE: tuple[ShowcasePerson, ...] = (
    _showcase(
        1, ("Darren", "Kilbride", date(1984, 3, 12)), format_pnc_id(2001, 318824), "M", _DARREN_NOTE, _DARREN
    ),
    _showcase(
        2, ("Chloe", "Marsh", date(2008, 6, 30)), None, "F",
        "A child known to two forces through child-protection referrals and missing episodes, with no PNC ID "
        "and no intelligence; Southmoor adds a middle name and her stepfather's surname as an alias.",
        _CHLOE,
    ),
    _showcase(
        3, ("Jamie", "Okafor", date(1995, 11, 2)), None, "M",
        "In Southmoor and Eastvale with no PNC ID in either, so only name and date of birth match him; "
        "drugs markers and custody in both.",
        _JAMIE,
    ),
    _showcase(
        4, ("Margaret", "O'Brien", date(1961, 1, 20)), format_pnc_id(1989, 207731), "F",
        "Only in Northshire: a mental-health marker (special-category health data) and her maiden name "
        "Doyle as an alias.",
        _MARGARET,
    ),
    _showcase(
        5, ("Katherine", "Ashworth", date(1979, 9, 14)), format_pnc_id(2006, 551902), "F",
        "Katherine in Northshire, Kate (maiden name Pryce) in Eastvale: only the PNC ID says they are one "
        "person; intelligence with handling conditions in Eastvale.",
        _KATHERINE,
    ),
)
_search_key = functools.lru_cache(maxsize=1 << 16)(layout.search_key)  # a few hundred names, millions of rows
_SHOWCASE_KEYS = frozenset(
    (_search_key(surname), person.date_of_birth)
    for copies in _SHOWCASE_COPIES.values()
    for person, copy in copies
    for surname in (person.family_name, *(alias for alias, _ in copy.aliases))
)
_SHOWCASE_PNC_IDS = frozenset(person.pnc_id for person in SHOWCASE if person.pnc_id)
_RESERVED_KEY = "KILBRIDE"  # the showcase's family name: no generated person or alias may have it


class _Weighted(Generic[_T]):
    """Weighted choice by bisection: several times faster than `Random.choices` in the hot loop."""

    __slots__ = ("_cum", "_items", "_total")

    def __init__(self, items: Sequence[_T], weights: Sequence[float]) -> None:
        self._items = tuple(items)
        self._cum = [0.0] * len(weights)
        total = 0.0
        for i, weight in enumerate(weights):
            total += weight
            self._cum[i] = total
        self._total = total
        self._cum[-1] = math.inf  # rounding can never push a draw past the last item

    @classmethod
    def zipf(cls, items: Sequence[_T]) -> _Weighted[_T]:
        """The first items most common, as names are: the 1st about 25 times the 200th."""
        return cls(items, [1.0 / (rank + 8) for rank in range(len(items))])

    def pick(self, rng: random.Random) -> _T:
        return self._items[bisect.bisect(self._cum, rng.random() * self._total)]


def _any(rng: random.Random, items: Sequence[_T]) -> _T:
    """`rng.choice` without its rejection sampling: one float draw, a third of the cost in the hot loop."""
    return items[int(rng.random() * len(items))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


@dataclass(frozen=True, slots=True)
class _Origin:
    name: str
    family: _Weighted[str]
    male: tuple[_Weighted[str], ...]  # one per era (see `v.ERAS`)
    female: tuple[_Weighted[str], ...]
    nationality: _Weighted[str]

    @classmethod
    def of(cls, row: v.Origin) -> _Origin:
        name, _, family, male, female, nationalities = row
        males = tuple(_Weighted.zipf(male or era_male) for _, era_male, _ in v.ERAS)
        females = tuple(_Weighted.zipf(female or era_female) for _, _, era_female in v.ERAS)
        countries = _Weighted([n for n, _ in nationalities], [w for _, w in nationalities])
        return cls(name, _Weighted.zipf(family), males, females, countries)


_ORIGINS = _Weighted([_Origin.of(row) for row in v.ORIGINS], [row[1] for row in v.ORIGINS])
_BRITISH = _Origin.of(v.ORIGINS[0])
_DOB_FIRST, _DOB_LAST = date(1950, 1, 1).toordinal(), date(2010, 12, 31).toordinal()
_MARKERS = _Weighted(
    ["FI", "WE", "XP", "VI", "ES", "AG", "IM", "IF", "DR", "SU", "MN", "AT", "CO"],
    [4.8, 16, 0.8, 22.4, 3.2, 4.8, 1.6, 1.6, 24.8, 6, 7, 5, 2],  # 80% officer safety, 20% health
)
_SOURCE = _Weighted("123", [0.3, 0.55, 0.15])
_GRADE = _Weighted("ABCDE", [0.15, 0.35, 0.3, 0.15, 0.05])
_DISPOSAL = _Weighted(["CHARGED", "BAIL", "RUI", "NFA", "CAUTION"], [0.3, 0.15, 0.2, 0.23, 0.12])
_CHILD_KINDS = _Weighted(["CP", "MISS", "ENC", "DA"], [0.4, 0.33, 0.22, 0.05])
_ADULT_KINDS = _Weighted(["DA", "CP", "MISS"], [0.6, 0.15, 0.25])
# Royal Mail never uses C I K M O V in the inward code; a pair drawn at once costs one draw, not two.
_REG_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_LETTER_PAIRS = [a + b for a in _REG_LETTERS for b in _REG_LETTERS]
_EVENTS_FROM = date(2005, 1, 1)
_REFERENCE_DAY = REFERENCE_TIME.date().toordinal()


@dataclass(slots=True)
class _Person:
    """The real person behind one or more forces' nominals."""

    uid: int
    sex: str
    given: str
    middle: str | None
    family: str
    dob: date
    nationality: str
    pnc: str | None
    cro: str | None
    maiden: str | None
    street_name: str | None
    exact: bool  # never misspelt (the guaranteed Smith)


def _make_person(rng: random.Random, uid: int, smith: bool = False) -> _Person:
    origin = _BRITISH if smith else _ORIGINS.pick(rng)
    roll = rng.random()
    sex = "M" if roll < 0.62 else "F" if roll < 0.99 else "U"
    female = sex == "F" or (sex == "U" and roll > 0.995)
    dob = date.fromordinal(_DOB_FIRST + _below(rng, _DOB_LAST + 1 - _DOB_FIRST))
    era = 0 if dob.year <= v.ERAS[0][0] else 1 if dob.year <= v.ERAS[1][0] else 2
    names = origin.female[era] if female else origin.male[era]
    given = names.pick(rng)
    middle = names.pick(rng) if rng.random() < 0.4 else None
    family = "Smith" if smith else origin.family.pick(rng)
    if female and origin.name == "polish" and family.endswith(("ski", "cki")):
        family = family[:-1] + "a"  # Polish family names agree in gender: Kowalski, Kowalska
    if (_search_key(family), dob) in _SHOWCASE_KEYS:
        dob += timedelta(days=1)  # keeps the answer to a showcase search exact
    pnc = cro = None
    if rng.random() < 0.75:
        year = min(2025, max(1975, dob.year + 12 + _below(rng, 29)))
        serial = (uid * 7919 + 104729) % 10_000_000  # a bijection below 10M people: PNC IDs never collide
        pnc = format_pnc_id(year, serial)
        if pnc in _SHOWCASE_PNC_IDS:
            pnc = None
        elif rng.random() < 0.4:
            numbers = f"{(uid * 4733 + 17) % 1_000_000:06d}/{year % 100:02d}"
            cro = numbers + CHECK_LETTERS[int(numbers[-2:] + numbers[:6]) % 23]
    maiden = _BRITISH.family.pick(rng) if female and dob.year < 1998 and rng.random() < 0.3 else None
    street = _any(rng, v.STREET_NAMES) if rng.random() < 0.06 else None
    return _Person(
        uid,
        sex,
        given,
        middle if middle != given else None,
        family,
        dob,
        origin.nationality.pick(rng),
        pnc,
        cro,
        maiden if maiden != family else None,
        street,
        smith,
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _typo(rng: random.Random, name: str) -> str:
    """A plausible keying error: diacritics lost, O'/Mc written differently, or one letter wrong."""
    if _fold(name) != name:
        return _fold(name)
    if name.startswith("O'"):
        return _any(rng, ("O", "O ")) + name[2:]
    if name.startswith("Mc"):
        return "Mac" + name[2:]
    if len(name) < 4:
        return name  # Li, Cox: too short for a keying error that still reads as the name
    i = 1 + _below(rng, len(name) - 2)
    op = _below(rng, 3)
    if op == 0:
        typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # swapped
    elif op == 1:
        typo = name[:i] + name[i + 1 :]  # dropped
    else:
        typo = name[: i + 1] + name[i:]  # doubled
    return name if _search_key(typo) == _RESERVED_KEY else typo


class _Universe:
    """Which real person sits at each slot of each force's nominal index, without listing anyone."""

    _PAIRS = ((0, 1), (1, 2), (0, 2))

    def __init__(self, people: int) -> None:
        self.people = people
        self.all_three = people // 10
        self.per_pair = people // 8
        self.unique = people - self.all_three - 2 * self.per_pair

    def shuffle(self, force: int) -> Callable[[int], int]:
        """A fixed permutation of the slots (affine, mod n) that spreads shared people through the refs."""
        n = self.people
        step = max(1, int(n * (0.618 + 0.05 * force)))
        while math.gcd(step, n) != 1:
            step += 1
        offset = n * (force + 1) // 4
        return lambda j: (step * j + offset) % n

    def person_at(self, force: int, slot: int) -> tuple[int, bool]:
        """The (uid, shared) of the person at `slot` in `force`."""
        if slot < self.all_three:
            return slot, True
        slot -= self.all_three
        if slot < 2 * self.per_pair:
            pairs = [pair for pair, members in enumerate(self._PAIRS) if force in members]
            pair, k = pairs[slot // self.per_pair], slot % self.per_pair
            return self.all_three + pair * self.per_pair + k, True
        slot -= 2 * self.per_pair
        return self.all_three + 3 * self.per_pair + force * self.unique + slot, False


def _new_batch() -> dict[str, list[Row]]:
    return {table.name: [] for table in _TABLES}


class _ForceWriter:
    """Turns people into one force's rows, numbering its records, and hands them over in batches.

    Every row of a table has every column key: an executemany takes its columns from the first row.
    """

    def __init__(self, force: ForceInfo, seed: int) -> None:
        self.force = force
        self.rng = rng = random.Random(f"{seed}:{force.name}")
        self.code = force.ref_prefix.rstrip("-")
        self.area, towns = v.TOWNS[force.name]
        self.towns = _Weighted.zipf(towns)
        self.suites = v.CUSTODY_SUITES[force.name]
        self.contacts = v.CONTACT_POINTS[force.name]
        # A force has a few dozen custody sergeants, not one per detention.
        self.sergeants = [f"PS {1000 + _below(rng, 9000)} {_BRITISH.family.pick(rng)}" for _ in range(24)]
        self.counters = {"INT": 0, "CUS": 0, "REF": 0}
        self.custody_numbers: dict[int, int] = {}
        self.batch = _new_batch()

    def take(self) -> dict[str, list[Row]]:
        batch, self.batch = self.batch, _new_batch()
        return batch

    def _next(self, kind: str) -> str:
        self.counters[kind] += 1
        return self.force.ref(self.counters[kind], kind)

    def nominal(self, ref: str, surname: str, forenames: str, born: date, sex: str, *ids: str | None) -> None:
        nationality, pnc, cro = ids
        self.batch["nominal"].append(
            {
                "nominal_ref": ref,
                "surname": surname,
                "forenames": forenames,
                "surname_key": _search_key(surname),
                "birth_date": born,
                "sex": sex,
                "nationality": nationality,
                "pnc_ref": pnc,
                "cro_ref": cro,
            }
        )

    def alias(self, ref: str, surname: str, forenames: str | None) -> None:
        key = _search_key(surname)
        row = {"nominal_ref": ref, "surname": surname, "forenames": forenames, "surname_key": key}
        self.batch["nominal_alias"].append(row)

    def address(self, ref: str, line1: str, line2: str | None, town: str, postcode: str) -> None:
        row = {"nominal_ref": ref, "line1": line1, "line2": line2, "town": town, "postcode": postcode}
        self.batch["nominal_address"].append(row)

    def marker(self, ref: str, marker: _Marker) -> None:
        code, text, raised_on = marker
        row = {"nominal_ref": ref, "signal_code": code, "signal_text": text, "raised_on": raised_on}
        self.batch["warning_signal"].append(row)

    def intel(self, ref: str, item: _Intel) -> None:
        self.batch["intel_log"].append(
            {
                "log_ref": self._next("INT"),
                "nominal_ref": ref,
                "source_grade": item.source,
                "intel_grade": item.grade,
                "handling_code": item.handling,
                "handling_conditions": item.conditions,
                "summary_text": item.summary,
                "full_text": item.full,
                "protective_marking": "OFFICIAL-SENSITIVE",
                "logged_at": item.logged_at,
            }
        )

    def custody(self, ref: str, item: _Custody) -> None:
        custody_ref = self._next("CUS")
        year = item.arrested_at.year
        seq = self.custody_numbers[year] = self.custody_numbers.get(year, 0) + 1
        self.batch["custody_event"].append(
            {
                "custody_ref": custody_ref,
                "nominal_ref": ref,
                "custody_number": f"{self.code}/{year % 100:02d}/{seq:06d}",
                "suite": item.suite,
                "arrested_at": item.arrested_at,
                "arrest_reason": item.reason,
                "authorised_by": item.authorised_by,
                "released_at": item.released_at,
                "disposal": item.disposal,
                "risk_flags": item.risk_flags,
            }
        )
        offences = self.batch["custody_offence"]
        for code, text in item.offences:
            offences.append({"custody_ref": custody_ref, "offence_code": code, "offence_text": text})

    def referral(self, ref: str, item: _Referral) -> None:
        self.batch["vulnerability_referral"].append(
            {
                "referral_ref": self._next("REF"),
                "nominal_ref": ref,
                "referral_type": item.kind,
                "occurred_at": item.occurred_at,
                "children_present": item.children_present,
                "summary_text": item.summary,
                "contact_point": self.contacts[item.kind],
            }
        )

    def showcase(self, person: ShowcasePerson, copy: _Copy) -> None:
        ref = person.ref(self.force.name)
        pnc = person.pnc_id if copy.has_pnc else None
        born, sex = person.date_of_birth, person.gender
        self.nominal(ref, person.family_name, copy.forenames, born, sex, copy.nationality, pnc, copy.cro)
        for surname, forenames in copy.aliases:
            self.alias(ref, surname, forenames)
        self.address(ref, *copy.address)
        for marker in copy.markers:
            self.marker(ref, marker)
        for intel in copy.intel:
            self.intel(ref, intel)
        for custody in copy.custody:
            self.custody(ref, custody)
        for referral in copy.referrals:
            self.referral(ref, referral)

    def generated(self, number: int, p: _Person, shared: bool) -> None:
        """One force's copy of `p`: its own spelling and PNC gaps if `p` is shared, and its own incidents."""
        rng = self.rng
        ref = self.force.ref(number)
        given = p.given
        variants = v.GIVEN_VARIANTS.get(given)
        if shared and variants and rng.random() < 0.2:
            given = _any(rng, variants)
        forenames = given if p.middle is None or (shared and rng.random() < 0.4) else f"{given} {p.middle}"
        surname = _typo(rng, p.family) if shared and not p.exact and rng.random() < 0.03 else p.family
        pnc = p.pnc if not shared or rng.random() >= 0.2 else None
        nationality = p.nationality if rng.random() >= 0.05 else None
        self.nominal(ref, surname, forenames, p.dob, p.sex, nationality, pnc, p.cro if pnc else None)
        if p.maiden and rng.random() < 0.6:
            self.alias(ref, p.maiden, given)
        if p.street_name and rng.random() < 0.5:
            self.alias(ref, p.street_name, None)
        self._addresses(ref)
        # Nothing on record before the age of criminal responsibility, or before the force's system.
        start = max(date(p.dob.year + 10, p.dob.month, min(p.dob.day, 28)), _EVENTS_FROM)
        if rng.random() < 0.30:
            self._markers(ref, start)
        if rng.random() < 0.35:
            name = f"{given} {surname.upper()}"
            for _ in range(1 + (rng.random() < 0.55) + (rng.random() < 0.45) + (rng.random() < 0.3)):
                self.intel(ref, self._intel(name, start))
        if rng.random() < 0.30:
            self._custody(ref, p.dob, start)
        if rng.random() < 0.15:
            for _ in range(1 + (rng.random() < 0.25)):
                self.referral(ref, self._referral(p.dob))

    def _when(self, start: date) -> datetime:
        first = min(start.toordinal(), _REFERENCE_DAY - 1)
        day = first + _below(self.rng, _REFERENCE_DAY - first)
        return datetime.fromordinal(day) + timedelta(seconds=_below(self.rng, 86_400))

    def _town(self) -> str:
        return self.towns.pick(self.rng)[0]

    def _street(self) -> str:
        return f"{_any(self.rng, v.STREETS)} {_any(self.rng, v.STREET_SUFFIXES)}"

    def _addresses(self, ref: str) -> None:
        rng = self.rng
        roll = rng.random()
        for _ in range(1 + (roll > 0.7) + (roll > 0.95)):
            town, districts = self.towns.pick(rng)
            postcode = f"{self.area}{_any(rng, districts)} {_below(rng, 10)}{_any(rng, _LETTER_PAIRS)}"
            if rng.random() < 0.2:
                block = f"Flat {1 + _below(rng, 24)}, {_any(rng, v.STREETS)} House"
                self.address(ref, block, self._street(), town, postcode)
            else:
                self.address(ref, f"{1 + _below(rng, 180)} {self._street()}", None, town, postcode)

    def _markers(self, ref: str, start: date) -> None:
        rng = self.rng
        codes = {_MARKERS.pick(rng) for _ in range(1 + (rng.random() < 0.4) + (rng.random() < 0.25))}
        for code in sorted(codes):  # sorted: a set's order would depend on string hashing
            self.marker(ref, _Marker(code, _any(rng, v.MARKER_TEXTS[code]), self._when(start).date()))

    def _intel(self, name: str, start: date) -> _Intel:
        rng = self.rng
        summary, full = _any(rng, v.INTEL_TOPICS)
        fields = {
            "name": name,
            "town": self._town(),
            "street": self._street(),
            "pub": _any(rng, v.PUBS),
            "assoc": f"{_BRITISH.male[1].pick(rng)} {_BRITISH.family.pick(rng).upper()}",
            "vehicle": _any(rng, v.VEHICLES),
            "reg": f"{self.area}{10 + _below(rng, 15)} {_any(rng, _LETTER_PAIRS)}{_any(rng, _REG_LETTERS)}",
            "drug": _any(rng, v.DRUGS),
            "digits": f"{_below(rng, 1000):03d}",
        }
        conditions = _any(rng, v.HANDLING_CONDITIONS) if rng.random() < 0.25 else None
        handling = "P" if conditions is None else "C"
        source, grade = _SOURCE.pick(rng), _GRADE.pick(rng)
        text = summary.format(**fields), full.format(**fields)
        return _Intel(source, grade, handling, conditions, *text, self._when(start))

    def _custody(self, ref: str, born: date, start: date) -> None:
        rng = self.rng
        count = 1 + (rng.random() < 0.4) + (rng.random() < 0.3)
        for i, arrested in enumerate(sorted(self._when(start) for _ in range(count))):
            charged = [_any(rng, v.OFFENCES) for _ in range(1 + (rng.random() < 0.3) * (1 + _below(rng, 2)))]
            offences = tuple({code: (code, text) for code, text, _ in charged}.values())
            flags = [_any(rng, v.RISK_FLAGS) for _ in range(1 + _below(rng, 3) if rng.random() < 0.45 else 0)]
            if arrested.year - born.year < 18:
                flags.append("Juvenile - appropriate adult required")
            released: datetime | None
            if i == count - 1 and rng.random() < 0.02:  # still in custody at the reference time
                arrested = REFERENCE_TIME - timedelta(minutes=60 + _below(rng, 1140))
                released, disposal = None, None
            else:
                released = arrested + timedelta(minutes=120 + _below(rng, 2040))
                disposal = _DISPOSAL.pick(rng)
            reason = f"On suspicion of {charged[0][2]}"
            risk = ";".join(dict.fromkeys(flags)) or None
            sergeant = _any(rng, self.sergeants)
            suite = _any(rng, self.suites)
            self.custody(ref, _Custody(suite, arrested, reason, sergeant, released, disposal, risk, offences))

    def _referral(self, born: date) -> _Referral:
        rng = self.rng
        at = self._when(max(born, _EVENTS_FROM))
        age = at.year - born.year
        child = age < 18
        kind = _CHILD_KINDS.pick(rng) if child else _ADULT_KINDS.pick(rng)
        if kind == "ENC" and age > 16:
            kind = "MISS"
        elif kind == "DA" and age < 16:
            kind = "CP"
        present = True if kind == "ENC" else (rng.random() < 0.45) if kind == "DA" else None
        children = _any(rng, ("one child present", "two children present", "three children present"))
        summary = _any(rng, v.SAFEGUARDING_TEXTS[kind][child]).format(
            town=self._town(),
            children=children if present else "no children present",
            dash=_any(rng, ("standard", "medium", "high")),
        )
        return _Referral(kind, at, present, summary)


def _check_forces(names: Sequence[str]) -> None:
    unknown = [name for name in names if name not in FORCES]
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ValueError(f"Unknown demo force(s) {listed}: expected some of {', '.join(FORCES)}")


def population(
    people: int, seed: int = 2026, forces: Sequence[str] | None = None, batch_people: int = 5_000
) -> Iterator[tuple[str, dict[str, list[Row]]]]:
    """Every force's rows, one force after another, in batches of about `batch_people` nominals.

    Args:
        people: generated nominals per force (the showcase people come on top).
        seed: the seed; the same `(people, seed)` always yields the same rows.
        forces: the forces to generate (default all); a force's rows do not depend on which others are.
        batch_people: nominals per batch, which bounds memory whatever `people` is.

    Yields:
        `(force name, {table name: rows})`, the showcase people's batch first; a batch holds the parent
        rows of its children.
    """
    if people < 0:
        raise ValueError(f"people must be 0 or more, not {people}")
    names = list(FORCES) if forces is None else list(forces)
    _check_forces(names)
    universe = _Universe(people)
    for name in names:
        index = list(FORCES).index(name)
        writer = _ForceWriter(FORCES[name], seed)
        for person, copy in _SHOWCASE_COPIES[name]:
            writer.showcase(person, copy)
        yield name, writer.take()
        if not people:
            continue
        shuffle = universe.shuffle(index)
        for j in range(people):
            uid, shared = universe.person_at(index, shuffle(j))
            # A shared person is drawn from a seed of their own, so every force holding them draws the same.
            rng = random.Random(f"{seed}:{uid}") if shared else writer.rng
            writer.generated(_FIRST_GENERATED + j, _make_person(rng, uid, smith=shared and uid == 0), shared)
            if (j + 1) % batch_people == 0 or j + 1 == people:
                yield name, writer.take()


#: The load size from which `populate` uses a process per force: generating rows is CPU-bound Python.
PARALLEL_FROM = 20_000


async def populate(
    urls: Mapping[str, str],
    people: int,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
) -> dict[str, int]:
    """Drop and recreate the layout's tables in each force's database and fill them with synthetic records.

    Args:
        urls: force name -> SQLAlchemy async URL (`sqlite+aiosqlite:///...`, `postgresql+asyncpg://...`).
            All forces share one table layout, so each force needs a database of its own.
        people: generated nominals per force, on top of the `SHOWCASE` people.
        seed: the seed; the same `(people, seed)` always writes the same rows.
        progress: called with short messages ("northshire: 200000/1000000 nominals") as the load goes.
        workers: processes loading forces side by side. By default one per force, up to the CPU count, for
            loads of `PARALLEL_FROM` people or more; smaller loads run in this process. The rows are the
            same either way.

    Returns:
        Rows written per table name, summed over the forces.
    """
    _check_forces(list(urls))
    if people < 0:
        raise ValueError(f"people must be 0 or more, not {people}")
    report = progress or (lambda _: None)
    if workers is None:
        workers = min(len(urls), os.cpu_count() or 1) if people >= PARALLEL_FROM else 1
    if workers > 1 and len(urls) > 1:
        results = await _load_in_processes(urls, people, seed, report, workers)
    else:
        results = [await _load(name, url, people, seed, report) for name, url in urls.items()]
    totals = {table.name: 0 for table in _TABLES}
    for counts in results:
        for table, count in counts.items():
            totals[table] += count
    return totals


async def _load(
    name: str, url: str, people: int, seed: int, progress: Callable[[str], None]
) -> dict[str, int]:
    counts = {table.name: 0 for table in _TABLES}
    step, showcase, reported = max(people // 10, 1), len(_SHOWCASE_COPIES[name]), 0
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                # The data can be regenerated at will: crash safety during the load would only cost time.
                await conn.exec_driver_sql("PRAGMA journal_mode=OFF")
                await conn.exec_driver_sql("PRAGMA synchronous=OFF")
            await conn.run_sync(layout.metadata.drop_all)
            for table in _TABLES:  # without indexes: building them once after the load is faster
                await conn.execute(CreateTable(table))
            await conn.commit()
            for _, batch in population(people, seed, [name]):
                for table in _TABLES:
                    if rows := batch[table.name]:
                        await conn.execute(table.insert(), rows)
                        counts[table.name] += len(rows)
                await conn.commit()
                done = counts["nominal"] - showcase
                if done >= reported + step or (done == people and done > reported):
                    progress(f"{name}: {done}/{people} nominals")
                    reported = done
            progress(f"{name}: indexing")
            for table in _TABLES:
                for index in sorted(table.indexes, key=lambda index: str(index.name)):
                    await conn.run_sync(index.create)
            if engine.dialect.name == "postgresql":
                for table in _TABLES:
                    await conn.exec_driver_sql(f"ANALYZE {table.name}")
            await conn.commit()
    finally:
        await engine.dispose()
    progress(f"{name}: done, {sum(counts.values())} rows")
    return counts


# Fresh interpreters rather than multiprocessing: a fork would copy this process's event loop and threads,
# and spawn re-imports the caller's __main__, which breaks any script without a main guard.
_WORKER = "from connectors.demo.data import _load_from_stdin; _load_from_stdin()"


async def _load_in_processes(
    urls: Mapping[str, str], people: int, seed: int, progress: Callable[[str], None], workers: int
) -> list[dict[str, int]]:
    slots = asyncio.Semaphore(workers)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path or os.getcwd() for path in sys.path)}

    async def load(name: str, url: str) -> dict[str, int]:
        async with slots:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _WORKER, stdin=PIPE, stdout=PIPE, env=env
            )
            assert child.stdin is not None and child.stdout is not None
            counts: dict[str, int] | None = None
            try:  # the job goes on stdin: a URL may hold a password, and argv is public
                job = {"force": name, "url": url, "people": people, "seed": seed}
                child.stdin.write(json.dumps(job).encode())
                await child.stdin.drain()
                child.stdin.close()
                async for line in child.stdout:
                    kind, _, text = line.decode().rstrip("\n").partition(" ")
                    if kind == "progress":
                        progress(text)
                    elif kind == "counts":
                        counts = json.loads(text)
                status = await child.wait()
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            if status != 0 or counts is None:
                raise RuntimeError(f"Loading demo force {name!r} failed in a worker process (exit {status})")
            return counts

    return list(await asyncio.gather(*(load(name, url) for name, url in urls.items())))


def _load_from_stdin() -> None:
    """A worker process: load the force described on stdin, reporting on stdout."""
    job = json.loads(sys.stdin.read())

    def report(message: str) -> None:
        print("progress", message, flush=True)

    counts = asyncio.run(_load(job["force"], job["url"], job["people"], job["seed"], report))
    print("counts", json.dumps(counts), flush=True)
