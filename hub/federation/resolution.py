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

`name_similarity` and `normalise_name` (from `hub.federation._names`, which explains the scoring) compare
normalised names: mostly the family name, with typos, initials, common diminutives ("Bill"/"William"),
omitted middle names and swapped family and given names allowed for.

`merge` clusters records with union-find over the links, strongest first (Kruskal order), comparing only
candidates that share a PNC ID or a date of birth; within a date-of-birth block each distinct name is
compared once, and most name pairs are settled by their family names alone. A name link never joins two
clusters holding different PNC IDs or incompatible dates of birth. The output does not depend on the
order of the input.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from itertools import combinations_with_replacement, pairwise
from typing import TypeVar

from connectors.canonical import Address, Gender, PersonName, PersonRecord
from connectors.pnc import normalise_pnc_id
from hub.federation._names import NameKey, match_score, name_key, name_similarity, normalise_name

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


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A record's comparable facts, computed once per `merge`."""

    pnc_id: str | None
    date_of_birth: date | None
    gender: Gender | None
    names: tuple[NameKey, ...]

    @classmethod
    def of(cls, record: PersonRecord) -> _Prepared:
        names = tuple(dict.fromkeys(name_key(name) for name in record.names))
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
    best = max((match_score(x, y, MATCH_THRESHOLD) for x in a.names for y in b.names), default=0.0)
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


def _sorted_records(records: Iterable[PersonRecord]) -> list[PersonRecord]:
    """Records by (partner, record id), whatever order they came in."""
    ordered = sorted(records, key=lambda r: (r.partner, r.record_id))
    if any((a.partner, a.record_id) == (b.partner, b.record_id) for a, b in pairwise(ordered)):
        # Two different records under one id (a partner's duplicate): repr breaks the tie. It is slow, so
        # it is paid only then.
        ordered.sort(key=lambda r: (r.partner, r.record_id, repr(r)))
    return ordered


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
        object.__setattr__(self, "records", tuple(_sorted_records(self.records)))

    @property
    def sources(self) -> tuple[tuple[str, str], ...]:
        """(partner, record_id) of every source record: the provenance, and what the person id encodes."""
        return tuple((record.partner, record.record_id) for record in self.records)

    @cached_property
    def names(self) -> tuple[MergedName, ...]:
        """Distinct names (by normalised family and given name): primary names first, most-recorded first."""
        first: dict[NameKey, PersonName] = {}
        primary: set[NameKey] = set()
        partners: defaultdict[NameKey, set[str]] = defaultdict(set)
        records: Counter[NameKey] = Counter()
        for record in self.records:
            keys = {name_key(name) for name in record.names}
            records.update(keys)
            primary.add(name_key(record.primary_name))
            for name in record.names:
                first.setdefault(name_key(name), name)
                partners[name_key(name)].add(record.partner)
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
        if len(self.records) == 1:
            # Most people in a page of results come from one record: its primary name is its best, and
            # its date of birth the consensus (a search sorts many more people than it returns).
            only = self.records[0]
            best: PersonName | MergedName = only.primary_name
            dob = only.date_of_birth
        else:
            best, dob = self.names[0], self.date_of_birth
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
        holders: defaultdict[NameKey, list[int]] = defaultdict(list)
        for index in block:
            for name in prepared[index].names:
                holders[name].append(index)
        best: dict[tuple[int, int], float] = {}
        for x, y in combinations_with_replacement(holders, 2):
            score = match_score(x, y, MATCH_THRESHOLD)
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
    ordered = _sorted_records(records)
    if len(ordered) < 2:  # nothing to link (a person id naming one record, a partner's only match)
        return [MergedPerson(tuple(ordered))] if ordered else []
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
    return sorted(people, key=MergedPerson._sort_key) if len(people) > 1 else people
