"""Every built-in connector kind passes the shared conformance suite against its real demo partner."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from connectors.conformance import ConformanceSample, ConnectorConformance
from connectors.contract import BaseConnector, Capability, Connector, PartnerConfig
from connectors.demo import layout
from connectors.demo.store import DemoStore
from connectors.registry import build
from connectors.sql import SqlConnector
from tests.support import Partner, partner_configs


async def sample_for(database_url: str) -> ConformanceSample:
    """Kilbride, two Smiths, and someone with each kind of record at this partner."""
    store = DemoStore(database_url)
    try:
        [kilbride], _ = await store.search(surname="Kilbride")
        smiths, _ = await store.search(surname="Smith", limit=2)
        holders = []
        async with store.engine.connect() as conn:
            for table in (
                layout.warning_signal,
                layout.intel_log,
                layout.custody_event,
                layout.vulnerability_referral,
            ):
                query = select(table.c.nominal_ref).order_by(table.c.nominal_ref).limit(1)
                holders.append((await conn.execute(query)).scalar_one())
            with_pnc = select(layout.nominal.c.pnc_ref).where(layout.nominal.c.pnc_ref.is_not(None)).limit(1)
            pnc = kilbride["pnc_ref"] or (await conn.execute(with_pnc)).scalar_one()
    finally:
        await store.aclose()
    known = dict.fromkeys([kilbride["nominal_ref"], *(s["nominal_ref"] for s in smiths), *holders])
    return ConformanceSample(family_name="Kilbride", known_ids=tuple(known), pnc_id=pnc)


class _Conformance(ConnectorConformance):
    partner = ""

    @pytest.fixture
    async def connector(
        self, demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
    ) -> AsyncIterator[Connector]:
        [config] = [
            c for c in partner_configs(demo_urls, southmoor.url, eastvale.url) if c.name == self.partner
        ]
        connector = self.build(config)
        await connector.open()
        yield connector
        await connector.aclose()

    def build(self, config: PartnerConfig) -> Connector:
        """The connector under test, for its partner's configuration."""
        return build(config)

    @pytest.fixture
    async def sample(self, demo_urls: dict[str, str]) -> ConformanceSample:
        return await sample_for(demo_urls[self.partner])


class TestSqlConnector(_Conformance):
    partner = "northshire"


class TestRestConnector(_Conformance):
    partner = "southmoor"


class TestGraphQLConnector(_Conformance):
    partner = "eastvale"


class _OnlySomeKinds(SqlConnector):
    """A connector that offers search, people and markers only, its other methods BaseConnector's (they
    raise CapabilityNotSupported), as an outside author's first connector would be."""

    supported = frozenset({Capability.SEARCH, Capability.PEOPLE, Capability.MARKERS})
    get_intelligence = BaseConnector.get_intelligence
    get_custody = BaseConnector.get_custody
    get_safeguarding = BaseConnector.get_safeguarding


class TestAConnectorOfferingSomeKindsIsHeldOnlyToThem(_Conformance):
    partner = "northshire"

    def build(self, config: PartnerConfig) -> Connector:
        return _OnlySomeKinds(dataclasses.replace(config, capabilities=None))
