"""The generator: random people, each force's copy of them, and the rows that copy is written as.

Every draw comes from a `random.Random` the caller seeds, never from the clock, so the same seed always
yields the same rows; `data.population` decides who is shared between forces (see `data.py`). The draws sit
in a loop run millions of times for a large load, hence the hand-made weighted choice below.
"""

from __future__ import annotations

import bisect
import functools
import math
import random
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from connectors.demo import _names as v
from connectors.demo import layout
from connectors.demo._showcase import (
    REFERENCE_TIME,
    SHOWCASE,
    SHOWCASE_COPIES,
    Copy,
    Custody,
    ForceInfo,
    Intel,
    Marker,
    Referral,
    ShowcasePerson,
)
from connectors.pnc import CHECK_LETTERS, format_pnc_id

__all__ = ["ForceWriter", "Person", "Row", "Universe", "make_person"]

Row = dict[str, Any]
_T = TypeVar("_T")

_search_key = functools.lru_cache(maxsize=1 << 16)(layout.search_key)  # a few hundred names, millions of rows
_SHOWCASE_KEYS = frozenset(
    (_search_key(surname), person.date_of_birth)
    for copies in SHOWCASE_COPIES.values()
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
class Person:
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


def make_person(rng: random.Random, uid: int, smith: bool = False) -> Person:
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
    return Person(
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


class Universe:
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
    return {table.name: [] for table in layout.metadata.sorted_tables}


class ForceWriter:
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

    def marker(self, ref: str, marker: Marker) -> None:
        code, text, raised_on = marker
        row = {"nominal_ref": ref, "signal_code": code, "signal_text": text, "raised_on": raised_on}
        self.batch["warning_signal"].append(row)

    def intel(self, ref: str, item: Intel) -> None:
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

    def custody(self, ref: str, item: Custody) -> None:
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

    def referral(self, ref: str, item: Referral) -> None:
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

    def showcase(self, person: ShowcasePerson, copy: Copy) -> None:
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

    def generated(self, number: int, p: Person, shared: bool) -> None:
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
            self.marker(ref, Marker(code, _any(rng, v.MARKER_TEXTS[code]), self._when(start).date()))

    def _intel(self, name: str, start: date) -> Intel:
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
        return Intel(source, grade, handling, conditions, *text, self._when(start))

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
            self.custody(ref, Custody(suite, arrested, reason, sergeant, released, disposal, risk, offences))

    def _referral(self, born: date) -> Referral:
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
        return Referral(kind, at, present, summary)
