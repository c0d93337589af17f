"""New people records matched to watches by entity resolution: a watched man arrested in a force that had
never recorded him, or recorded again under a misspelt name, is still the man watched.

A watch names its person by the partner records their hub person id encodes. When a partner's change feed
shows a new people record, the record is compared with the watched people's records by the hub's own
entity-resolution rules (`hub.federation.resolution`): the same PNC ID, or names close enough
(`MATCH_THRESHOLD`) with the same date of birth; a different PNC ID on both sides rules a match out. A
match adds the record to the watch's person, so that everything recorded about it afterwards (the custody
record of the arrest that made it, first of all) fires the watch like the rest.

To find the candidates without comparing every new record with every watch, the hub keeps, for each watched
source record, only its blocking keys (PNC ID and date of birth), read from the partner once by the poller
(`key_sources`). Names are never kept: the candidates' records are read from their partners when a new record
shares a date of birth with them, and compared then.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import itertools
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from connectors.canonical import PersonRecord
from connectors.pnc import normalise_pnc_id
from hub.federation.ids import MAX_SOURCES
from hub.federation.resolution import MATCH_THRESHOLD, link_confidence
from hub.watches.store import SourceKeys, WatchRecord, WatchStore

__all__ = ["KEYS_LEASE", "KEYS_PAGE", "Match", "Matched", "MatchedBy", "Matcher", "keys_of"]

log = logging.getLogger(__name__)

#: Most watched source records whose keys are read in one poll.
KEYS_PAGE = 500
#: The lease (in `partner_cursor`) that lets one replica at a time read the watched records' keys; not a
#: partner name (those are letters, digits, '-' and '_').
KEYS_LEASE = "~watch-keys"

#: Reads people records of one partner by id through its guard: (partner, ids) -> {id: record}.
PeopleReader = Callable[[str, Sequence[str]], Awaitable[Mapping[str, PersonRecord]]]


class MatchedBy(enum.Enum):
    PNC_ID = "pnc-id"
    NAME_AND_DATE_OF_BIRTH = "name-and-date-of-birth"


@dataclass(frozen=True)
class Match:
    """What a `people` event tells: a partner's new record is the person watched, and how sure the hub is."""

    record_id: str
    confidence: float
    by: MatchedBy


@dataclass(frozen=True)
class Matched:
    """A watch a new record was matched to: the watch with the record among its sources, the match, and
    what `adopt` stores."""

    watch: WatchRecord
    match: Match
    partner: str
    keys: SourceKeys


def keys_of(record: PersonRecord | None) -> SourceKeys:
    """A record's blocking keys (none for a record the partner no longer holds)."""
    if record is None:
        return SourceKeys(None, None)
    return SourceKeys(normalise_pnc_id(record.pnc_id), record.date_of_birth)


class Matcher:
    """Keeps the watched records' keys, and matches a partner's new people records to the watches."""

    def __init__(self, watches: WatchStore, people: PeopleReader) -> None:
        self.watches, self.people = watches, people

    async def key_sources(self) -> int:
        """Read the keys of up to `KEYS_PAGE` watched records not keyed yet, one request per partner at once;
        how many were keyed. A partner that fails keeps its records for the next poll."""
        pending: dict[str, set[str]] = defaultdict(set)
        for partner, record_id in await self.watches.unkeyed(KEYS_PAGE):
            pending[partner].add(record_id)
        answers = await self._read(pending, "keyed (tried again at the next poll)")
        keys = {
            (name, record_id): keys_of(answer.get(record_id))
            for name, answer in answers.items()
            for record_id in pending[name]
        }
        await self.watches.set_keys(keys)
        return len(keys)

    async def match(self, partner: str, records: Mapping[str, PersonRecord]) -> list[Matched]:
        """Match `partner`'s new people records (by id) to the live watches: each match with its watch as it
        is once the record is added to its person. Nothing is stored here: the poller stores the matches
        with its cursor (`WatchStore.finish_page`), once it has audited what it tells of them."""
        new = {rid: (record, keys_of(record)) for rid, record in records.items()}
        pncs = {k.pnc_id for _, k in new.values() if k.pnc_id}
        births = {k.date_of_birth for _, k in new.values() if k.date_of_birth}
        candidates = await self.watches.sharing_keys(pncs, births)
        if not candidates:
            return []
        # Only a watched record born the same day can link on its name: only those are read, once each.
        wanted: dict[str, set[str]] = defaultdict(set)
        for _, sources in candidates:
            for (p, rid), k in sources.items():
                if k.date_of_birth is not None and k.date_of_birth in births:
                    wanted[p].add(rid)
        # A watched person's partner that fails: matched on their other records (and PNC IDs) alone.
        answers = await self._read(wanted, "read for matching")
        watched = {(name, rid): r for name, answer in answers.items() for rid, r in answer.items()}
        current = {watch.watch_id: watch for watch, _ in candidates}
        growing = [(watch, dict(sources)) for watch, sources in candidates]
        matches: list[Matched] = []
        for record_id, (record, keys) in sorted(new.items()):
            linked = [
                (watch, sources, found)
                for watch, sources in growing
                if (partner, record_id) not in sources
                and (found := self._compare(record_id, record, keys, sources, watched)) is not None
            ]
            for watch, sources, found in self._as_merge_would(linked, watched):
                if len(current[watch.watch_id].sources) >= MAX_SOURCES:  # what a person id may name
                    log.warning(
                        "watch %s names %d records already: %s is not added",
                        watch.watch_id,
                        MAX_SOURCES,
                        record_id,
                    )
                    continue
                # From now on the record is one of the watch's: a later record of the page is compared with
                # it too, and may not join the person with another PNC ID.
                sources[(partner, record_id)] = keys
                watched[(partner, record_id)] = record
                grown = current[watch.watch_id]
                grown = dataclasses.replace(grown, sources=(*grown.sources, (partner, record_id)))
                current[watch.watch_id] = grown
                matches.append(Matched(grown, found, partner, keys))
        # Each watch as it ends up, with every record matched to it in this page.
        return [dataclasses.replace(m, watch=current[m.watch.watch_id]) for m in matches]

    async def _read(self, wanted: Mapping[str, set[str]], why: str) -> dict[str, Mapping[str, PersonRecord]]:
        """Each partner's records of `wanted`, one request per partner, all at once; a partner that fails is
        logged (the records could not be `why`) and left out."""
        names = sorted(wanted)
        answers = await asyncio.gather(
            *(self.people(n, sorted(wanted[n])) for n in names), return_exceptions=True
        )
        read: dict[str, Mapping[str, PersonRecord]] = {}
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, BaseException):
                if not isinstance(answer, Exception):
                    raise answer
                log.warning("watched records at %s could not be %s: %s", name, why, answer)
            else:
                read[name] = answer
        return read

    @staticmethod
    def _as_merge_would(
        linked: list[tuple[WatchRecord, dict[tuple[str, str], SourceKeys], Match]],
        watched: Mapping[tuple[str, str], PersonRecord],
    ) -> list[tuple[WatchRecord, dict[tuple[str, str], SourceKeys], Match]]:
        """Of the watched people one new record links to, those `merge` would join it with: strongest link
        first, never two people holding different PNC IDs. A record without a PNC ID named like two watched
        namesakes with different PNC IDs joins the likelier; equally likely, neither (it is not known whose
        it is). Several watches on one person all keep it."""
        kept: list[tuple[WatchRecord, dict[tuple[str, str], SourceKeys], Match]] = []
        joined: set[str] = set()
        ordered = sorted(linked, key=lambda link: -link[2].confidence)
        for _, tied in itertools.groupby(ordered, key=lambda link: link[2].confidence):
            group = [(link, _pnc_ids(link[1], watched)) for link in tied]
            people = {frozenset(held) for _, held in group if held and (not joined or held == joined)}
            if len(people) > 1:
                log.info(
                    "a new record is as like two watched people with different PNC IDs: matched to neither"
                )
                break
            for link, held in group:
                if held and joined and held != joined:
                    continue
                kept.append(link)
                joined |= held
        return kept

    @staticmethod
    def _compare(
        record_id: str,
        record: PersonRecord,
        keys: SourceKeys,
        sources: Mapping[tuple[str, str], SourceKeys],
        watched: Mapping[tuple[str, str], PersonRecord],
    ) -> Match | None:
        """`merge`'s rules, for one new record and one watched person: a PNC ID they share matches; a PNC ID
        the person does not hold, where the person holds one, does not (two PNC IDs are two people); nor,
        for a record with a PNC ID, does a name, while one of the person's records could not be keyed (it
        may hold another PNC ID). Otherwise the best name link to a record born the same day."""
        held = _pnc_ids(sources, watched)
        if keys.pnc_id and keys.pnc_id in held:
            return Match(record_id, 1.0, MatchedBy.PNC_ID)
        if keys.pnc_id and (held or not all(k.keyed for k in sources.values())):
            return None
        scores = [
            score
            for source in sources
            if (known := watched.get(source)) is not None
            and (score := link_confidence(record, known)) is not None
        ]
        best = max(scores, default=0.0)
        if best < MATCH_THRESHOLD:
            return None
        return Match(record_id, round(best, 3), MatchedBy.NAME_AND_DATE_OF_BIRTH)


def _pnc_ids(
    sources: Mapping[tuple[str, str], SourceKeys], watched: Mapping[tuple[str, str], PersonRecord]
) -> set[str]:
    """The PNC IDs a watched person's records hold: as keyed, and as read now where a record was."""
    held = {k.pnc_id for k in sources.values() if k.pnc_id}
    return held | {
        p for s in sources if (r := watched.get(s)) is not None and (p := normalise_pnc_id(r.pnc_id))
    }
