"""The sql kind's change feed: the table its mapping names, read by sequence number; a partner whose mapping
names none offers no feed, and asking for one there is a configuration error."""

from __future__ import annotations

import pytest

from connectors.contract import Capability, Change, PartnerConfig
from connectors.demo.store import DemoStore
from connectors.errors import ConnectorConfigError, PartnerBadResponse
from connectors.sql import SqlConnector


def config(url: str, **mapping: object) -> PartnerConfig:
    return PartnerConfig("northshire", "sql", connection={"url": url}, mapping=mapping)


async def test_the_feed_starts_from_now_then_reads_what_is_added(own_northshire: str) -> None:
    async with SqlConnector(config(own_northshire, changes={"table": "record_change"})) as connector:
        start = await connector.changes(None, 100)
        store = DemoStore(own_northshire)
        try:
            ref = await store.add_referral("NS000002", "CP", "Referral from school", False)
            person = await store.add_person("Okafor", "Grace", None)
        finally:
            await store.aclose()

        page = await connector.changes(start.cursor, 100)

        assert start.changes == []
        assert page.changes == [
            Change(Capability.SAFEGUARDING, "NS000002", ref),
            Change(Capability.PEOPLE, person, person),
        ]
        assert (await connector.changes(page.cursor, 100)).changes == []
        with pytest.raises(PartnerBadResponse, match="not a sequence number"):
            await connector.changes("not-a-cursor", 10)


def test_a_mapping_without_a_change_table_offers_no_feed(own_northshire: str) -> None:
    assert Capability.CHANGES not in SqlConnector(config(own_northshire)).capabilities
    narrowed = PartnerConfig(
        "northshire", "sql", connection={"url": own_northshire}, capabilities=frozenset({Capability.CHANGES})
    )
    with pytest.raises(ConnectorConfigError, match=r"\[partners.mapping.changes\] table"):
        SqlConnector(narrowed)
