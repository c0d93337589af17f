"""Every built-in connector kind passes the shared conformance suite against its real demo partner."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from connectors.conformance import ConformanceSample, ConformanceTarget, ConnectorConformance
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
    async def conformance_target(
        self, demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
    ) -> AsyncIterator[ConformanceTarget]:
        [config] = [
            c for c in partner_configs(demo_urls, southmoor.url, eastvale.url) if c.name == self.partner
        ]
        served = {"southmoor": southmoor, "eastvale": eastvale}.get(self.partner)
        with statements_counted() as statements:
            yield ConformanceTarget(
                connect=lambda: self.build(config),
                sample=await sample_for(demo_urls[self.partner]),
                at_url=self.at_url(config),
                requests=(lambda: len(served.log.snapshot())) if served else lambda: len(statements),
            )

    def build(self, config: PartnerConfig) -> Connector:
        """The connector under test, for its partner's configuration."""
        return build(config)

    def at_url(self, config: PartnerConfig) -> Callable[[str, float], Connector] | None:
        """The connector of the same kind for a partner at another root URL (the HTTP kinds)."""
        if config.kind == "rest":
            return lambda url, timeout: build(
                dataclasses.replace(
                    config, timeout=timeout, connection={**config.connection, "base_url": url}
                )
            )
        if config.kind == "graphql":
            return lambda url, timeout: build(
                dataclasses.replace(config, timeout=timeout, connection={"url": f"{url}/graphql"})
            )
        return None


@contextmanager
def statements_counted() -> Iterator[list[str]]:
    """Every SQL statement any engine in this process runs inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", count)


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
