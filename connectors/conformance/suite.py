"""The conformance tests themselves: what the hub relies on from any connector.

Every failure says what is wrong and what to do about it, in terms of the connector contract.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from connectors.canonical import (
    CustodyRecord,
    IntelligenceReport,
    PersonRecord,
    SafeguardingConcern,
    SearchCriteria,
    WarningMarker,
)
from connectors.conformance.checks import problems_of
from connectors.conformance.faults import Fault, FaultyPartner, refused_url
from connectors.contract import RECORD_KINDS, Capability, Connector
from connectors.errors import PartnerBadResponse, PartnerError, PartnerTimeout, PartnerUnavailable

__all__ = ["EXPECTED", "ConformanceSample", "ConformanceTarget", "ConnectorConformance"]

#: The record type each kind's batch method returns (a list of them per id, but one person per id).
_RECORD_TYPES: Mapping[Capability, type] = {
    Capability.PEOPLE: PersonRecord,
    Capability.MARKERS: WarningMarker,
    Capability.INTELLIGENCE: IntelligenceReport,
    Capability.CUSTODY: CustodyRecord,
    Capability.SAFEGUARDING: SafeguardingConcern,
}
_LISTED = [kind for kind in RECORD_KINDS if kind is not Capability.PEOPLE]
#: The error class the hub must get for each failure (it decides retries and what the caller is told).
EXPECTED: Mapping[Fault, type[PartnerError]] = {
    Fault.DOWN: PartnerUnavailable,
    Fault.SLOW: PartnerTimeout,
    Fault.SERVER_ERROR: PartnerUnavailable,
    Fault.GARBAGE: PartnerBadResponse,
    Fault.WRONG_SHAPE: PartnerBadResponse,
    Fault.AUTH_REFUSED: PartnerUnavailable,
}
#: Runs a test once per record kind fetched by id.
_each_kind = pytest.mark.parametrize("kind", list(RECORD_KINDS), ids=[k.value for k in RECORD_KINDS])
#: The timeout the failure checks give a connector (seconds), and how long past it a call may take.
FAULT_TIMEOUT = 0.5
_GRACE = 10.0


@dataclass(frozen=True)
class ConformanceSample:
    """What the partner behind the connector under test holds."""

    family_name: str
    known_ids: tuple[str, ...]
    pnc_id: str | None = None
    unknown_id: str = "no-such-record-000000"


@dataclass(frozen=True)
class ConformanceTarget:
    """What a connector author gives the suite, from the one fixture to write, `conformance_target`.

    Attributes:
        connect: A new connector (not yet opened) to the test partner holding `sample`'s records.
        sample: What that partner holds.
        at_url: A new connector of the same kind for a partner at this `http://` root URL with this timeout
            in seconds, for the failure checks (the suite's own failing partner plays it); None for a
            connector that does not speak HTTP, whose failure checks are then skipped, saying so.
        requests: How many requests the test partner has answered so far, for the batching checks (one
            request for many ids); None skips them.
    """

    connect: Callable[[], Connector]
    sample: ConformanceSample
    at_url: Callable[[str, float], Connector] | None = None
    requests: Callable[[], int] | None = None


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.upper() if ch.isalpha())


def _assert_canonical(record: Any, expected: type, connector: Connector, where: str) -> None:
    problems = problems_of(record, expected, connector.name, where)
    assert not problems, "\n".join(problems)


def _offers(connector: Connector, kind: Capability) -> None:
    if kind not in connector.capabilities:
        pytest.skip(f"{connector.name} does not offer {kind.value}")


async def _failure(call: Callable[[], Any], what: str) -> BaseException | None:
    """The exception `call()` ends with (None if it succeeds), failing if it outlives its timeout."""
    guard = asyncio.timeout(FAULT_TIMEOUT + _GRACE)
    try:
        async with guard:
            await call()
    except BaseException as exc:  # a library's exception must be seen here, to be named
        if guard.expired():
            pytest.fail(
                f"{what}: still waiting {_GRACE:g}s after its {FAULT_TIMEOUT:g}s timeout. Bound every call "
                "by the partner's configured timeout and raise PartnerTimeout past it."
            )
        if isinstance(exc, asyncio.CancelledError):
            raise
        return exc
    return None


async def _closed(partner: FaultyPartner, what: str) -> None:
    for _ in range(100):
        if partner.open_connections == 0:
            return
        await asyncio.sleep(0.02)
    pytest.fail(
        f"{what}: {partner.open_connections} connection(s) to the partner still open after aclose(). "
        "Close every client, session and pool the connector opened."
    )


class ConnectorConformance:
    """Tests every connector must pass. Needs one fixture, `conformance_target` (see the package doc)."""

    @pytest_asyncio.fixture
    async def connector(self, conformance_target: ConformanceTarget) -> AsyncIterator[Connector]:
        connector = conformance_target.connect()
        await connector.open()
        try:
            yield connector
        finally:
            await connector.aclose()

    @pytest.fixture
    def sample(self, conformance_target: ConformanceTarget) -> ConformanceSample:
        return conformance_target.sample

    # ----------------------------------------------------------------------------------- the contract

    def test_is_a_connector_with_declared_capabilities(self, connector: Connector) -> None:
        assert isinstance(connector, Connector), "implement connectors.Connector (subclass BaseConnector)"
        assert connector.name and connector.title, "name and title come from the partner's configuration"
        assert connector.capabilities and all(isinstance(c, Capability) for c in connector.capabilities), (
            "declare what the connector offers in `supported` (a frozenset of Capability)"
        )

    @pytest.mark.asyncio
    async def test_health_answers(self, connector: Connector) -> None:
        await connector.health()

    @pytest.mark.asyncio
    async def test_open_and_close_may_be_called_twice(self, conformance_target: ConformanceTarget) -> None:
        connector = conformance_target.connect()
        await connector.open()
        await connector.open()
        await connector.health()
        await connector.aclose()
        await connector.aclose()

    # ------------------------------------------------------------------------------------------ search

    @pytest.mark.asyncio
    async def test_search_by_family_name_returns_canonical_people(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        _offers(connector, Capability.SEARCH)
        records = await connector.search_people(SearchCriteria(family_name=sample.family_name), 50)
        assert isinstance(records, list), "search_people returns a list of PersonRecord"
        assert records, f"a search for {sample.family_name!r} should find the sample's people"
        for i, record in enumerate(records):
            _assert_canonical(record, PersonRecord, connector, f"search_people(...)[{i}]")
            assert record.names and not record.names[0].alias, "the primary name comes first"
            assert _key(sample.family_name) in {_key(n.family_name) for n in record.names}, (
                f"search_people found {record.record_id!r}, who has no name {sample.family_name!r}"
            )

    @pytest.mark.asyncio
    async def test_search_honours_the_limit(self, connector: Connector, sample: ConformanceSample) -> None:
        _offers(connector, Capability.SEARCH)
        records = await connector.search_people(SearchCriteria(family_name=sample.family_name), 1)
        assert len(records) == 1, f"search_people(..., limit=1) returned {len(records)} records"

    @pytest.mark.asyncio
    async def test_search_by_pnc_id(self, connector: Connector, sample: ConformanceSample) -> None:
        _offers(connector, Capability.SEARCH)
        if sample.pnc_id is None:
            pytest.skip("the sample has no PNC ID")
        records = await connector.search_people(SearchCriteria(pnc_id=sample.pnc_id), 10)
        assert records and all(r.pnc_id == sample.pnc_id for r in records), (
            f"a search by PNC ID {sample.pnc_id} should find only people with that (canonical) PNC ID"
        )

    @pytest.mark.asyncio
    async def test_search_for_nobody_returns_nothing(self, connector: Connector) -> None:
        _offers(connector, Capability.SEARCH)
        assert await connector.search_people(SearchCriteria(family_name="Zzyzxqwv"), 10) == []

    # ----------------------------------------------------------------------------------------- batches

    @_each_kind
    @pytest.mark.asyncio
    async def test_batch_answers_known_ids_only_with_canonical_records(
        self, connector: Connector, sample: ConformanceSample, kind: Capability
    ) -> None:
        _offers(connector, kind)
        method = RECORD_KINDS[kind]
        wanted = [sample.unknown_id, *reversed(sample.known_ids)]  # any order: the answer is by id
        found = await getattr(connector, method)(wanted)
        assert isinstance(found, Mapping), f"{method} returns a mapping from each known id to its records"
        strangers = sorted(set(found) - set(sample.known_ids), key=str)
        assert not strangers, (
            f"{method} answered for {strangers}, which the partner does not hold (or were not asked for): "
            "leave unknown ids out of the mapping, never map them to None or []"
        )
        for record_id, records in found.items():
            where = f"{method}(...)[{record_id!r}]"
            if kind is Capability.PEOPLE:
                _assert_canonical(records, PersonRecord, connector, where)
                assert records.record_id == record_id, f"{where} is the record of {records.record_id!r}"
                continue
            assert isinstance(records, list), f"{where} must be a list of {_RECORD_TYPES[kind].__name__}"
            for i, record in enumerate(records):
                _assert_canonical(record, _RECORD_TYPES[kind], connector, f"{where}[{i}]")

    @_each_kind
    @pytest.mark.asyncio
    async def test_empty_batch_returns_an_empty_mapping(self, connector: Connector, kind: Capability) -> None:
        _offers(connector, kind)
        assert dict(await getattr(connector, RECORD_KINDS[kind])([])) == {}

    @pytest.mark.asyncio
    async def test_sample_people_have_records_of_every_offered_kind(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        for kind in _LISTED:
            if kind in connector.capabilities:
                found = await getattr(connector, RECORD_KINDS[kind])(list(sample.known_ids))
                assert any(found.values()), (
                    f"{RECORD_KINDS[kind]}: the sample people should have some {kind.value}: give a sample "
                    "whose known_ids hold records of every kind the connector offers"
                )

    @_each_kind
    @pytest.mark.asyncio
    async def test_a_batch_of_many_ids_is_one_request(
        self, connector: Connector, conformance_target: ConformanceTarget, kind: Capability
    ) -> None:
        _offers(connector, kind)
        if conformance_target.requests is None:
            pytest.skip("the target gives no count of the partner's requests (ConformanceTarget.requests)")
        before = conformance_target.requests()
        await getattr(connector, RECORD_KINDS[kind])([*conformance_target.sample.known_ids, "x-1", "x-2"])
        made = conformance_target.requests() - before
        assert made == 1, (
            f"{RECORD_KINDS[kind]} for {len(conformance_target.sample.known_ids) + 2} ids made {made} "
            "requests to the partner; ask for all the ids at once (the hub batches them for you)"
        )

    @pytest.mark.asyncio
    async def test_fetch_of_every_offered_kind_at_once_answers_as_each_kind_alone(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        kinds = [kind for kind in RECORD_KINDS if kind in connector.capabilities]
        if not kinds:
            pytest.skip(f"{connector.name} offers no records by id")
        wanted = [*sample.known_ids, sample.unknown_id]
        alone = {kind: dict(await getattr(connector, RECORD_KINDS[kind])(wanted)) for kind in kinds}

        together = await connector.fetch({kind: wanted for kind in kinds})

        assert isinstance(together, Mapping)
        assert set(together) <= set(kinds), "fetch answers only the kinds asked for"
        for kind in kinds:
            assert dict(together.get(kind, {})) == alone[kind], (
                f"fetch's {kind.value} differ from {RECORD_KINDS[kind]}'s for the same ids"
            )
        assert dict(await connector.fetch({})) == {}, "an empty fetch answers nothing"

    # ---------------------------------------------------------------------------------------- failures

    @pytest.mark.parametrize("fault", list(Fault), ids=[f.value for f in Fault])
    @pytest.mark.asyncio
    async def test_a_failing_partner_is_reported_as_its_error_class(
        self, conformance_target: ConformanceTarget, fault: Fault
    ) -> None:
        if conformance_target.at_url is None:
            pytest.skip("the target cannot point the connector at a failing HTTP partner (at_url)")
        expected = EXPECTED[fault]
        if fault is Fault.DOWN:
            await self._meets(conformance_target, refused_url(), fault, expected, None)
            return
        async with FaultyPartner(fault) as partner:
            await self._meets(conformance_target, partner.url, fault, expected, partner)

    async def _meets(
        self,
        target: ConformanceTarget,
        url: str,
        fault: Fault,
        expected: type[PartnerError],
        partner: FaultyPartner | None,
    ) -> None:
        assert target.at_url is not None
        connector = target.at_url(url, FAULT_TIMEOUT)
        what = f"a partner that is {fault.value}"
        await connector.open()
        try:
            kind = next((k for k in RECORD_KINDS if k in connector.capabilities), None)
            if kind is not None:
                method = getattr(connector, RECORD_KINDS[kind])
                error = await _failure(lambda: method([*target.sample.known_ids]), what)
            else:
                error = await _failure(
                    lambda: connector.search_people(SearchCriteria(family_name="Smith"), 5), what
                )
        finally:
            await connector.aclose()
        if error is None:
            pytest.fail(f"{what}: the call succeeded; it must raise {expected.__name__}")
        if not isinstance(error, PartnerError):
            pytest.fail(
                f"{what}: {type(error).__module__}.{type(error).__name__} escaped the connector ({error}). A "
                f"connector raises only connectors.errors: translate it into {expected.__name__} at the "
                "boundary"
            )
        assert isinstance(error, expected), (
            f"{what}: reported as {type(error).__name__} ({error}); it must be {expected.__name__}, which "
            "decides whether the hub retries and what the caller is told"
        )
        assert error.partner == connector.name, (
            f"the error names partner {error.partner!r}, not {connector.name!r}"
        )
        if partner is not None:
            await _closed(partner, what)

    @pytest.mark.asyncio
    async def test_a_cancelled_call_stops_and_leaves_nothing_behind(
        self, conformance_target: ConformanceTarget
    ) -> None:
        if conformance_target.at_url is None:
            pytest.skip("the target cannot point the connector at a slow HTTP partner (at_url)")
        async with FaultyPartner(Fault.SLOW) as partner:
            connector = conformance_target.at_url(partner.url, 60.0)  # only the cancellation may end it
            await connector.open()
            before = asyncio.all_tasks()
            kind = next((k for k in RECORD_KINDS if k in connector.capabilities), None)
            ids = list(conformance_target.sample.known_ids)
            call = (
                getattr(connector, RECORD_KINDS[kind])(ids)
                if kind is not None
                else connector.search_people(SearchCriteria(family_name="Smith"), 5)
            )
            task = asyncio.ensure_future(call)
            try:
                for _ in range(250):
                    if partner.requests or task.done():
                        break
                    await asyncio.sleep(0.02)
                assert partner.requests, "the call never reached the partner"
                task.cancel()
                done, _ = await asyncio.wait([task], timeout=2.0)
                assert done, (
                    "the call ignored its cancellation for 2 s: when the hub cancels a call (its caller "
                    "left, a sibling failed), the call must stop at once; never shield it or swallow "
                    "CancelledError"
                )
                assert task.cancelled(), (
                    f"the cancelled call ended with {task.exception() or 'a result'!r} instead of "
                    "CancelledError: let cancellation through"
                )
                await asyncio.sleep(0.05)
                left = [t for t in asyncio.all_tasks() - before if not t.done() and t is not task]
                assert not left, (
                    f"the cancelled call left {len(left)} task(s) running ({left[0].get_coro()!r}): cancel "
                    "and await every task a call starts"
                )
            finally:
                if not task.done():
                    task.cancel()
                await connector.aclose()
            await _closed(partner, "after a cancelled call")
