"""The federation engine: one per request, the only way the schema reaches partners.

A search fans out to every partner that can search, at once, and merges what comes back into people.
Everything else goes through one per-request DataLoader keyed by (record kind, partner, record id): what a
tick of resolvers asks for becomes one `fetch` per partner carrying every kind and id wanted, so a query
over 50 people and their records costs one call per partner holding any of them (the connector decides
how: one document, one round trip, one request with `include=`, or one request per kind where the
partner's API has nothing better), and the calls to different partners run in parallel. A person asked for
by id costs one such round: `prefetch` asks for the record kinds the query selects together with the
people records, since the id already names them.
Every call goes through the partner's guard (circuit breaker, timeout, retries, concurrency cap: see
`resilience.py`) and is recorded in the request's `PartnerLedger`; a partner that fails costs the answer only
that partner's records. Every call here is a read, and says so (`idempotent=True`): only such calls are
ever retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from connectors.canonical import PersonRecord, SearchCriteria
from connectors.contract import Capability, Connector, Fetched, Wanted
from connectors.errors import PartnerError
from hub import metrics
from hub.federation.ledger import PartnerLedger, PartnerStatus
from hub.federation.partner_set import PartnerSet
from hub.federation.resilience import Attempts
from hub.federation.resolution import MergedPerson, merge
from hub.tracing import TRACER

__all__ = ["Federation", "SourcesDiverged"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class SourcesDiverged(Exception):
    """The records a person id names no longer resolve to one person (a partner corrected one of them)."""


class Federation:
    """Per-request access to every partner: searches, batched loads, and the ledger of calls."""

    def __init__(self, partners: PartnerSet) -> None:
        self.partners = partners
        self.ledger = PartnerLedger()
        self._records: DataLoader[tuple[Capability, str, str], Any] | None = None

    async def _call(
        self,
        connector: Connector,
        kind: str,
        call: Callable[[], Awaitable[T]],
        *,
        idempotent: bool,
        batch: int = 0,
    ) -> T:
        """Run one partner call under the partner's guard (`hub.federation.resilience`): its breaker,
        timeout, retries (only if the call is `idempotent`) and concurrency cap; record how it went."""
        started = time.perf_counter()
        attempts = Attempts()
        error: PartnerError | None = None
        span = TRACER.start_span(
            f"partner {connector.name} {kind}",
            kind=SpanKind.CLIENT,
            attributes={"partner": connector.name, "kind": kind, **({"batch_size": batch} if batch else {})},
        )
        try:
            with trace.use_span(span, end_on_exit=False):  # the partner gets this span as its parent
                return await self.partners.guards[connector.name].call(
                    kind, call, idempotent=idempotent, attempts=attempts
                )
        except PartnerError as exc:
            error = exc
            # The whole detail is for operators; callers are told `public_detail` (hub.schema.extensions).
            log.warning("partner %s failed on %s (%s): %s", connector.name, kind, exc.outcome, exc.detail)
            raise
        finally:
            seconds = time.perf_counter() - started
            self.ledger.record(connector.name, connector.title, kind, seconds * 1000, error, attempts.count)
            outcome = error.outcome if error is not None else "ok"
            span.set_attribute("outcome", outcome)
            span.set_attribute("attempts", attempts.count)
            span.end()
            metrics.PARTNER_CALLS.labels(connector.name, kind, outcome).inc()
            metrics.PARTNER_CALL_SECONDS.labels(connector.name, kind).observe(seconds)

    def searchers(self) -> list[Connector]:
        return [c for c in self.partners if Capability.SEARCH in c.capabilities]

    async def _search_one(
        self, connector: Connector, criteria: SearchCriteria, limit: int
    ) -> list[PersonRecord]:
        try:
            records = await self._call(
                connector, "search", lambda: connector.search_people(criteria, limit), idempotent=True
            )
        except PartnerError:
            return []
        loader = self._loader()
        for record in records:
            loader.prime((Capability.PEOPLE, connector.name, record.record_id), record)
        return records

    async def search(self, criteria: SearchCriteria, limit: int) -> list[MergedPerson]:
        """Ask every searchable partner at once; merge the records of the same person."""
        found = await asyncio.gather(*(self._search_one(c, criteria, limit) for c in self.searchers()))
        return merge(r for records in found for r in records)[:limit]

    async def match(self, criteria: SearchCriteria, limit: int) -> dict[str, list[str]]:
        """Per searchable partner that answered: the ids of its records matching the criteria (at most
        `limit`; empty: no hit). The caller is told only hit or no hit; the ids are for the audit trail,
        which records a hit / no-hit check as a consultation of the people it matched."""
        found = await asyncio.gather(*(self._search_one(c, criteria, limit) for c in self.searchers()))
        answered = {s.name for s in self.ledger.statuses() if s.error is None}
        return {
            c.name: [r.record_id for r in records]
            for c, records in zip(self.searchers(), found, strict=True)
            if c.name in answered
        }

    def search_statuses(self) -> list[PartnerStatus]:
        """How each searchable partner answered, in configuration order."""
        statuses = []
        for connector in self.searchers():
            status = self.ledger.status(connector.name)
            statuses.append(status if status is not None else PartnerStatus(connector.name, connector.title))
        return statuses

    def _loader(self) -> DataLoader[tuple[Capability, str, str], Any]:
        """The request's one loader, keyed by (record kind, partner, record id).

        One loader spans every kind and every partner, so a batch is one `fetch` per partner carrying every
        kind asked for in that tick (a person and all their records in one call, where the partner allows
        it), and it settles all at once, when the slowest partner has answered: the people it resolves then
        ask for their next records in the same tick, and that next batch is again one call per partner.
        """
        if self._records is None:
            self._records = DataLoader(self._batch)
        return self._records

    async def _batch(self, keys: Sequence[tuple[Capability, str, str]]) -> list[Any]:
        by_partner: dict[str, dict[Capability, list[str]]] = {}
        for kind, partner, record_id in keys:
            by_partner.setdefault(partner, {}).setdefault(kind, []).append(record_id)
        for wanted in by_partner.values():
            for kind, ids in wanted.items():
                metrics.BATCH_SIZE.labels(kind.value).observe(len(ids))
        answers = await asyncio.gather(*(self._fetch(p, wanted) for p, wanted in by_partner.items()))
        found = dict(zip(by_partner, answers, strict=True))
        results: list[Any] = []
        for kind, partner, record_id in keys:
            answer = found[partner]
            if isinstance(answer, PartnerError):
                results.append(answer)
            else:
                default: Any = None if kind is Capability.PEOPLE else []
                results.append(answer.get(kind, {}).get(record_id, default))
        return results

    async def _fetch(
        self, partner: str, wanted: Mapping[Capability, list[str]]
    ) -> Mapping[Capability, Mapping[str, Any]] | PartnerError:
        """One partner's records of every kind wanted: one `fetch` per `max_batch_size` ids (the chunks
        concurrently), or the partner's error."""
        connector = self.partners.connectors[partner]
        size = self.partners.configs[partner].max_batch_size
        chunks = [
            {kind: ids[start : start + size] for kind, ids in wanted.items() if ids[start : start + size]}
            for start in range(0, max(len(ids) for ids in wanted.values()), size)
        ]
        name = "+".join(kind.value for kind in wanted)

        def call(chunk: Wanted) -> Callable[[], Awaitable[Fetched]]:
            return lambda: connector.fetch(chunk)

        try:
            answers = await asyncio.gather(
                *(
                    self._call(connector, name, call(c), idempotent=True, batch=max(map(len, c.values())))
                    for c in chunks
                )
            )
        except PartnerError as exc:
            return exc
        merged: dict[Capability, dict[str, Any]] = {kind: {} for kind in wanted}
        for answer in answers:
            for kind, records in answer.items():
                if kind in merged:  # a kind not asked for is not ours to pass on
                    merged[kind].update(records)
        return merged

    async def _load(self, sources: Iterable[tuple[str, str]], kind: Capability) -> list[tuple[str, Any]]:
        """(person record id, its `kind` records) for each (partner, record id) source that answered."""
        keys = []
        for partner, record_id in sources:
            connector = self.partners.get(partner)
            if connector is not None and kind in connector.capabilities:
                keys.append((partner, record_id))
        if not keys:
            return []
        loader = self._loader()
        results = await asyncio.gather(*(loader.load((kind, *key)) for key in keys), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, PartnerError):
                raise result
        return [
            (record_id, result)
            for (_, record_id), result in zip(keys, results, strict=True)
            if result is not None and not isinstance(result, PartnerError)
        ]

    async def records(self, person: MergedPerson, kind: Capability) -> list[tuple[str, Any]]:
        """Every record of one kind (markers, intelligence, ...) held on a person, across their sources,
        each with the record id of the person at the partner that holds it (for provenance and audit)."""
        return [
            (owner, record) for owner, batch in await self._load(person.sources, kind) for record in batch
        ]

    def prefetch(self, sources: Iterable[tuple[str, str]], kinds: Iterable[Capability]) -> None:
        """Ask now for these kinds of records of these sources, without waiting for them.

        A hub person id names its source records, so their markers, intelligence, ... need not wait for
        the person records themselves: asked in the same tick, each kind joins the same round of batched
        calls as the people (one round trip instead of two). The resolvers that read them later find
        them in the loaders. The caller decides what may be asked for (the schema: what the query
        selects and the caller may see).
        """
        loader = self._loader()
        for kind in kinds:
            for partner, record_id in sources:
                connector = self.partners.get(partner)
                if connector is not None and kind in connector.capabilities:
                    loader.load((kind, partner, record_id)).add_done_callback(_observed)

    async def person(self, sources: Sequence[tuple[str, str]]) -> MergedPerson | None:
        """The person behind a hub person id's sources, or None if no partner holds any of them now.

        Raises:
            SourcesDiverged: The records no longer resolve to one person (a partner corrected one): they
                are not welded together on the id's word alone.
        """
        records: list[PersonRecord] = [record for _, record in await self._load(sources, Capability.PEOPLE)]
        if not records:
            return None
        clusters = merge(records)
        if len(clusters) != 1:
            raise SourcesDiverged(f"{len(records)} records resolve to {len(clusters)} people")
        return clusters[0]


def _observed(future: asyncio.Future[Any]) -> None:
    """Mark a prefetched load's failure as seen: if no resolver reads it (the person is gone), asyncio would
    otherwise log it as never retrieved. A resolver that reads it still gets it."""
    if not future.cancelled():
        future.exception()
