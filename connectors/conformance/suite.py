"""The conformance tests themselves: what the hub relies on from any connector."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from connectors.canonical import (
    CustodyRecord,
    Gender,
    IntelligenceReport,
    PersonRecord,
    SafeguardingConcern,
    SearchCriteria,
    WarningMarker,
)
from connectors.contract import RECORD_KINDS, Capability, Connector
from connectors.pnc import normalise_pnc_id

__all__ = ["ConformanceSample", "ConnectorConformance"]

_BATCHES: dict[str, tuple[Capability, type[Any]]] = {
    "get_markers": (Capability.MARKERS, WarningMarker),
    "get_intelligence": (Capability.INTELLIGENCE, IntelligenceReport),
    "get_custody": (Capability.CUSTODY, CustodyRecord),
    "get_safeguarding": (Capability.SAFEGUARDING, SafeguardingConcern),
}


@dataclass(frozen=True)
class ConformanceSample:
    """What the partner behind the connector under test holds."""

    family_name: str
    known_ids: tuple[str, ...]
    pnc_id: str | None = None
    unknown_id: str = "no-such-record-000000"


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.upper() if ch.isalpha())


def _check_person(record: Any, connector: Connector) -> None:
    assert isinstance(record, PersonRecord)
    assert record.partner == connector.name
    assert record.record_id and isinstance(record.record_id, str)
    assert record.names and not record.names[0].alias, "the primary name comes first"
    assert record.gender is None or isinstance(record.gender, Gender)
    assert record.pnc_id is None or normalise_pnc_id(record.pnc_id) == record.pnc_id, "PNC IDs are canonical"


class ConnectorConformance:
    """Tests every connector must pass. Needs the fixtures `connector` and `sample` (see the package doc)."""

    def test_is_a_connector_with_declared_capabilities(self, connector: Connector) -> None:
        assert isinstance(connector, Connector)
        assert connector.name and connector.title
        assert connector.capabilities and all(isinstance(c, Capability) for c in connector.capabilities)

    @pytest.mark.asyncio
    async def test_health_answers(self, connector: Connector) -> None:
        await connector.health()

    @pytest.mark.asyncio
    async def test_search_by_family_name_returns_canonical_people(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        records = await connector.search_people(SearchCriteria(family_name=sample.family_name), 50)
        assert records
        for record in records:
            _check_person(record, connector)
            assert _key(sample.family_name) in {_key(n.family_name) for n in record.names}

    @pytest.mark.asyncio
    async def test_search_honours_the_limit(self, connector: Connector, sample: ConformanceSample) -> None:
        records = await connector.search_people(SearchCriteria(family_name=sample.family_name), 1)
        assert len(records) == 1

    @pytest.mark.asyncio
    async def test_search_by_pnc_id(self, connector: Connector, sample: ConformanceSample) -> None:
        if sample.pnc_id is None:
            pytest.skip("the sample has no PNC ID")
        records = await connector.search_people(SearchCriteria(pnc_id=sample.pnc_id), 10)
        assert records and all(r.pnc_id == sample.pnc_id for r in records)

    @pytest.mark.asyncio
    async def test_search_for_nobody_returns_nothing(self, connector: Connector) -> None:
        assert await connector.search_people(SearchCriteria(family_name="Zzyzxqwv"), 10) == []

    @pytest.mark.asyncio
    async def test_get_people_returns_known_ids_only(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        wanted = [*sample.known_ids, sample.unknown_id]
        people = await connector.get_people(wanted)
        assert isinstance(people, Mapping)
        assert set(people) == set(sample.known_ids)
        for record_id, record in people.items():
            _check_person(record, connector)
            assert record.record_id == record_id

    @pytest.mark.parametrize("method", sorted(_BATCHES))
    @pytest.mark.asyncio
    async def test_batch_records_are_canonical_and_keyed_by_requested_id(
        self, connector: Connector, sample: ConformanceSample, method: str
    ) -> None:
        capability, record_type = _BATCHES[method]
        if capability not in connector.capabilities:
            pytest.skip(f"{connector.name} does not offer {capability.value}")
        wanted = [*sample.known_ids, sample.unknown_id]
        found = await getattr(connector, method)(wanted)
        assert isinstance(found, Mapping)
        assert set(found) <= set(sample.known_ids)
        for records in found.values():
            assert isinstance(records, list)
            for record in records:
                assert isinstance(record, record_type)
                assert getattr(record, "partner", None) == connector.name

    @pytest.mark.parametrize("method", ["get_people", *sorted(_BATCHES)])
    @pytest.mark.asyncio
    async def test_empty_batch_returns_an_empty_mapping(self, connector: Connector, method: str) -> None:
        capability = Capability.PEOPLE if method == "get_people" else _BATCHES[method][0]
        if capability not in connector.capabilities:
            pytest.skip(f"{connector.name} does not offer {capability.value}")
        assert dict(await getattr(connector, method)([])) == {}

    @pytest.mark.asyncio
    async def test_sample_people_have_records_of_every_offered_kind(
        self, connector: Connector, sample: ConformanceSample
    ) -> None:
        for method, (capability, _) in _BATCHES.items():
            if capability in connector.capabilities:
                found = await getattr(connector, method)(list(sample.known_ids))
                assert any(found.values()), f"{method}: the sample people should have some {capability.value}"

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
