"""Entity resolution: which partners' records are the same person, and the merged person they make.

Rules, for two records `a` and `b` (`link_confidence`):

1. Both carry a valid PNC ID (`connectors.pnc.normalise_pnc_id`; an invalid one counts as absent):
   the same ID links them with confidence 1.0, different IDs mean different people (None). The PNC ID wins
   over everything else, including a differing date of birth (a keying error on one side).
2. Otherwise both must carry a date of birth and the dates must be equal; a record without one cannot be
   linked on its name alone.
3. Both genders recorded as male/female and different: not linked on name alone (twins with similar names).
4. The confidence is the best `name_similarity` over every pair of names (primary names and aliases) of the
   two records, and the records are linked only when it reaches `MATCH_THRESHOLD` (0.85).

`name_similarity` compares normalised names (`normalise_name`): 0.6 x family-name score + 0.4 x given-name
score, each string score being the mean of Jaro-Winkler and Indel similarity (rapidfuzz) so that short
names one letter apart ("Smith"/"Smart") do not look alike while typical typos ("Daren"/"Darren",
"Jon"/"John") do. Given names also match by shared first letter for an initial (0.9), by a table of common
diminutives ("Bill"/"William", 0.95) and by token sets (middle names omitted); a missing given name scores
0.7, so an exact family name with the same date of birth still links. Family and given names swapped
between systems score 0.95 x the weaker of the two crossed comparisons.

`merge` clusters records with union-find over the links, strongest first (Kruskal order), comparing only
candidates that share a PNC ID or a date of birth; within a date-of-birth block each distinct name is
compared once, and most name pairs are settled by their family names alone. A name link never joins two
clusters holding different PNC IDs or incompatible dates of birth. The output does not depend on the
order of the input.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import combinations_with_replacement, pairwise
from typing import TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, JaroWinkler

from connectors.canonical import Address, Gender, PersonName, PersonRecord
from connectors.pnc import normalise_pnc_id

__all__ = [
    "MATCH_THRESHOLD",
    "MergedName",
    "MergedPerson",
    "link_confidence",
    "merge",
    "name_similarity",
    "normalise_name",
]

#: The lowest name similarity at which two records without a common PNC ID are the same person.
MATCH_THRESHOLD = 0.85

_FAMILY_WEIGHT = 0.6
_GIVEN_WEIGHT = 0.4
_MISSING_GIVEN_SCORE = 0.7
_INITIAL_SCORE = 0.9
_DIMINUTIVE_SCORE = 0.95
_SWAPPED_FACTOR = 0.95

#: A name as matching sees it: normalised (family name, given name or "").
_NameKey = tuple[str, str]

_APOSTROPHES = re.compile("['\u2018\u2019\u02bc\u02bb`\u00b4\u2032]")
_NON_WORD = re.compile(r"[\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent (Polish ł, Danish ø, ...).
_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "\u0131": "i"}
)

# Common British given names and their diminutives: no string metric sees that Bill is William.
_DIMINUTIVES = """
john jon jonathan jack johnny | william will bill billy liam | robert rob bob bobby robbie
richard rich rick ricky dick | james jim jimmy jamie | michael mike mick mickey | anthony tony ant
christopher chris kit | daniel dan danny | david dave davy | edward ed eddie ted ned | thomas tom tommy
joseph joe joey | benjamin ben benny | samuel sam sammy | stephen steven steve stevie | andrew andy drew
alexander alex alec sandy | matthew matt | nicholas nick nicky | peter pete | patrick pat paddy
charles charlie chas chuck | henry harry hal | francis frank | frederick fred freddie | gerald gerry jerry
kenneth ken kenny | lawrence laurence larry | leonard len lenny | raymond ray | ronald ron ronnie
terence terry | timothy tim | elizabeth liz lizzie beth betty eliza libby | margaret maggie meg peggy
catherine katherine kate katie cathy kathy | susan sue susie | jennifer jen jenny | rebecca becky becca
victoria vicky vikki tori | deborah debbie deb | patricia pat patty trish | alexandra alex lexie
jessica jess jessie | samantha sam | christine chris chrissie | nicola nicky nikki | jacqueline jackie
"""
_GROUPS: dict[str, frozenset[int]] = {}
for _number, _group in enumerate(_DIMINUTIVES.replace("\n", " ").split("|")):
    for _name in _group.split():
        _GROUPS[_name] = _GROUPS.get(_name, frozenset()) | {_number}


def _strip_marks(text: str) -> str:
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M")
    )


def normalise_name(text: str) -> str:
    """A name reduced to what matching compares: "Zoë O'Brien-Smith " becomes "zoe obrien smith".

    Case-folded, accents stripped, apostrophes removed, hyphens and other punctuation turned into spaces,
    whitespace collapsed. Idempotent.
    """
    text = _APOSTROPHES.sub("", text)
    # Decompose both before and after case folding: each step can produce what the other must undo.
    text = _strip_marks(_strip_marks(text).casefold()).translate(_UNDECOMPOSED)
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).strip()


def _string_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = sorted((a, b))  # rapidfuzz's float rounding can differ by argument order; keep it symmetric
    return (JaroWinkler.normalized_similarity(a, b) + Indel.normalized_similarity(a, b)) / 2


def _token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return _INITIAL_SCORE if a[0] == b[0] else 0.0
    if _GROUPS.get(a, frozenset()) & _GROUPS.get(b, frozenset()):
        return _DIMINUTIVE_SCORE
    return _string_similarity(a, b)


def _given_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return _MISSING_GIVEN_SCORE
    a, b = sorted((a, b))
    subset = fuzz.token_set_ratio(a, b) / 100 if " " in a or " " in b else 0.0
    return max(_token_similarity(a.split()[0], b.split()[0]), _string_similarity(a, b), subset)


def _family_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    a, b = sorted((a, b))
    # A double-barrelled name recorded in part ("Smith Jones" / "Jones") is likely, not certain.
    subset = 0.95 * fuzz.token_set_ratio(a, b) / 100 if " " in a or " " in b else 0.0
    return max(_string_similarity(a, b), subset)


def _normalised_similarity(a: _NameKey, b: _NameKey) -> float:
    (family_a, given_a), (family_b, given_b) = a, b
    score = _FAMILY_WEIGHT * _family_similarity(family_a, family_b)
    score += _GIVEN_WEIGHT * _given_similarity(given_a, given_b)
    if given_a and given_b:
        swapped = min(_string_similarity(family_a, given_b), _string_similarity(given_a, family_b))
        score = max(score, _SWAPPED_FACTOR * swapped)
    return min(1.0, max(0.0, score))


def _match_score(a: _NameKey, b: _NameKey) -> float:
    """The similarity when it may reach MATCH_THRESHOLD, else 0.0: most pairs are settled by family name."""
    family = _family_similarity(a[0], b[0])
    if _FAMILY_WEIGHT * family + _GIVEN_WEIGHT >= MATCH_THRESHOLD or (
        a[1] and b[1] and _SWAPPED_FACTOR * _string_similarity(a[0], b[1]) >= MATCH_THRESHOLD
    ):
        return _normalised_similarity(a, b)
    return 0.0


def _key(name: PersonName) -> _NameKey:
    return normalise_name(name.family_name), normalise_name(name.given_name or "")


def name_similarity(a: PersonName, b: PersonName) -> float:
    """How alike two names are, from 0 (nothing in common) to 1 (the same once normalised). Symmetric."""
    return _normalised_similarity(_key(a), _key(b))


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A record's comparable facts, computed once per `merge`."""

    pnc_id: str | None
    date_of_birth: date | None
    gender: Gender | None
    names: tuple[_NameKey, ...]

    @classmethod
    def of(cls, record: PersonRecord) -> _Prepared:
        names = tuple(dict.fromkeys(_key(name) for name in record.names))
        return cls(normalise_pnc_id(record.pnc_id), record.date_of_birth, record.gender, names)


def _may_link_on_name(a: _Prepared, b: _Prepared) -> bool:
    return (
        not (a.pnc_id and b.pnc_id)
        and a.date_of_birth is not None
        and a.date_of_birth == b.date_of_birth
        and {a.gender, b.gender} != {Gender.MALE, Gender.FEMALE}
    )


def _link(a: _Prepared, b: _Prepared) -> float | None:
    if a.pnc_id and b.pnc_id:
        return 1.0 if a.pnc_id == b.pnc_id else None
    if not _may_link_on_name(a, b):
        return None
    best = max((_match_score(x, y) for x in a.names for y in b.names), default=0.0)
    return best if best >= MATCH_THRESHOLD else None


def link_confidence(a: PersonRecord, b: PersonRecord) -> float | None:
    """How sure the hub is that two records are the same person, or None when they are not (or may not be).

    See the module docstring for the rules. Symmetric.
    """
    return _link(_Prepared.of(a), _Prepared.of(b))


@dataclass(frozen=True)
class MergedName:
    """One distinct name of a merged person, and which partners record it."""

    family_name: str
    given_name: str | None
    is_primary: bool
    partners: tuple[str, ...]


def _record_order(record: PersonRecord) -> tuple[str, str, str]:
    # repr breaks ties between two different records a partner returned under the same id.
    return record.partner, record.record_id, repr(record)


_T = TypeVar("_T", bound=Hashable)


def _consensus(values: Iterable[_T | None]) -> _T | None:
    # most_common keeps first-seen order among equal counts: ties go to the first record.
    counts = Counter(value for value in values if value is not None)
    return counts.most_common(1)[0][0] if counts else None


@dataclass(frozen=True)
class MergedPerson:
    """One person as the hub publishes them: the partners' records that were judged to be the same person.

    Attributes:
        records: The source records, sorted by (partner, record_id).
        confidence: 1.0 for a single record; otherwise the weakest link that joined the cluster.
    """

    records: tuple[PersonRecord, ...]
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not self.records:
            raise ValueError("a MergedPerson needs at least one record")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence {self.confidence} is outside 0..1")
        object.__setattr__(self, "records", tuple(sorted(self.records, key=_record_order)))

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """(partner, record_id) of every source record: the provenance, and what the person id encodes."""
        return tuple((record.partner, record.record_id) for record in self.records)

    @cached_property
    def names(self) -> tuple[MergedName, ...]:
        """Distinct names (by normalised family and given name): primary names first, most-recorded first."""
        first: dict[_NameKey, PersonName] = {}
        primary: set[_NameKey] = set()
        partners: defaultdict[_NameKey, set[str]] = defaultdict(set)
        records: Counter[_NameKey] = Counter()
        for record in self.records:
            keys = {_key(name) for name in record.names}
            records.update(keys)
            primary.add(_key(record.primary_name))
            for name in record.names:
                first.setdefault(_key(name), name)
                partners[_key(name)].add(record.partner)
        order = sorted(first, key=lambda key: (key not in primary, -records[key]))  # stable: first-seen
        return tuple(
            MergedName(
                first[key].family_name, first[key].given_name, key in primary, tuple(sorted(partners[key]))
            )
            for key in order
        )

    @property
    def date_of_birth(self) -> date | None:
        return _consensus(record.date_of_birth for record in self.records)

    @property
    def gender(self) -> Gender | None:
        """The gender most records agree on; UNKNOWN only when no record knows better."""
        known = _consensus(r.gender for r in self.records if r.gender is not Gender.UNKNOWN)
        return known or _consensus(record.gender for record in self.records)

    @property
    def nationality(self) -> str | None:
        return _consensus(record.nationality for record in self.records)

    @property
    def pnc_id(self) -> str | None:
        """The canonical PNC ID (`YYYY/NNNNNNNL`); invalid IDs held by partners are ignored."""
        return _consensus(normalise_pnc_id(record.pnc_id) for record in self.records)

    @property
    def cro_number(self) -> str | None:
        return _consensus(record.cro_number for record in self.records)

    @cached_property
    def addresses(self) -> tuple[Address, ...]:
        """Distinct addresses, by postcode and first line, as first recorded."""
        seen: dict[tuple[str, str], Address] = {}
        for record in self.records:
            for address in record.addresses:
                postcode = "".join((address.postcode or "").split()).upper()
                first_line = normalise_name(address.lines[0]) if address.lines else ""
                seen.setdefault((postcode, first_line), address)
        return tuple(seen.values())

    def _sort_key(self) -> tuple[str, str, bool, date, tuple[str, str]]:
        best = self.names[0]
        dob = self.date_of_birth
        return (
            normalise_name(best.family_name),
            normalise_name(best.given_name or ""),
            dob is None,
            dob or date.min,
            self.sources[0],
        )


def _candidate_links(prepared: list[_Prepared]) -> Iterator[tuple[float, bool, int, int]]:
    """(confidence, shares a PNC ID, i, j) for every linked pair found by blocking on PNC ID and birth date.

    The same pairs, with the same confidences, as `_link` over all pairs, without comparing all pairs.
    """
    by_pnc: defaultdict[str, list[int]] = defaultdict(list)
    by_dob: defaultdict[date, list[int]] = defaultdict(list)
    for index, facts in enumerate(prepared):
        if facts.pnc_id:
            by_pnc[facts.pnc_id].append(index)
        if facts.date_of_birth is not None:
            by_dob[facts.date_of_birth].append(index)
    for block in by_pnc.values():
        # A chain is enough: every record with the PNC ID ends up in one cluster.
        yield from ((1.0, True, i, j) for i, j in pairwise(block))
    for block in by_dob.values():
        # Compare each distinct name in the block once, then only the records whose names came close.
        holders: defaultdict[_NameKey, list[int]] = defaultdict(list)
        for index in block:
            for name in prepared[index].names:
                holders[name].append(index)
        best: dict[tuple[int, int], float] = {}
        for x, y in combinations_with_replacement(holders, 2):
            score = _match_score(x, y)
            if score >= MATCH_THRESHOLD:
                for pair in {(min(i, j), max(i, j)) for i in holders[x] for j in holders[y] if i != j}:
                    best[pair] = max(best.get(pair, 0.0), score)
        for (i, j), score in sorted(best.items()):
            if _may_link_on_name(prepared[i], prepared[j]):
                yield score, False, i, j


def merge(records: Iterable[PersonRecord]) -> list[MergedPerson]:
    """Group records that are the same person into merged people.

    Every input record appears in exactly one result. Results are ordered by best primary name (family,
    given), then date of birth, then first source, and do not depend on the order of `records`.
    """
    ordered = sorted(records, key=_record_order)
    prepared = [_Prepared.of(record) for record in ordered]
    parent = list(range(len(ordered)))
    pncs = [{p.pnc_id} if p.pnc_id else set() for p in prepared]
    dobs = [{p.date_of_birth} if p.date_of_birth else set() for p in prepared]
    confidence = [1.0] * len(ordered)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Strongest links first (PNC before names at equal strength), ties by position: deterministic clusters.
    for strength, by_pnc, i, j in sorted(
        _candidate_links(prepared), key=lambda e: (-e[0], not e[1], e[2], e[3])
    ):
        root_i, root_j = find(i), find(j)
        if root_i == root_j:
            continue
        if not by_pnc:
            if len(pncs[root_i] | pncs[root_j]) > 1:
                continue
            a, b = dobs[root_i], dobs[root_j]
            if a and b and not (a <= b or b <= a):
                continue
        root, child = sorted((root_i, root_j))
        parent[child] = root
        pncs[root] |= pncs[child]
        dobs[root] |= dobs[child]
        confidence[root] = min(confidence[root], confidence[child], strength)

    clusters: defaultdict[int, list[PersonRecord]] = defaultdict(list)
    for index, record in enumerate(ordered):
        clusters[find(index)].append(record)
    people = [MergedPerson(tuple(members), confidence[root]) for root, members in clusters.items()]
    return sorted(people, key=MergedPerson._sort_key)
