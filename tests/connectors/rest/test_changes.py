"""The rest kind reads Southmoor's change feed (`GET /api/v2/changes?since=`) where its partners-file entry
says the API has one (`changes = true`); otherwise it offers no feed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from connectors.contract import Capability, Change, PartnerConfig
from connectors.demo.embedded import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from connectors.demo.store import DemoStore
from connectors.errors import ConnectorConfigError
from connectors.rest import RestConnector
from tests.support import Partner, start_rest


@pytest.fixture
def own_southmoor(demo_urls: dict[str, str], tmp_path: Path) -> Iterator[tuple[Partner, str]]:
    copy = tmp_path / "southmoor-own.db"
    shutil.copyfile(str(make_url(demo_urls["southmoor"]).database), copy)
    url = f"sqlite+aiosqlite:///{copy}"
    partner = start_rest(url)
    yield partner, url
    partner.server.stop()


def config(base_url: str, **connection: object) -> PartnerConfig:
    settings = {"base_url": base_url, "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    return PartnerConfig("southmoor", "rest", connection={**settings, **connection})


async def test_the_feed_starts_from_now_then_reads_what_is_added(own_southmoor: tuple[Partner, str]) -> None:
    partner, database = own_southmoor
    async with RestConnector(config(partner.url, changes=True)) as connector:
        start = await connector.changes(None, 100)
        store = DemoStore(database)
        try:
            ref = await store.add_referral("SM-000002", "CP", "Referral from school", False)
            person = await store.add_person("Okafor", "Grace", None)
        finally:
            await store.aclose()

        page = await connector.changes(start.cursor, 100)

        assert start.changes == []
        assert page.changes == [
            Change(Capability.SAFEGUARDING, "SM-000002", ref),
            Change(Capability.PEOPLE, person, person),
        ]
        assert (await connector.changes(page.cursor, 100)).changes == []


def test_without_changes_in_its_settings_it_offers_no_feed(own_southmoor: tuple[Partner, str]) -> None:
    partner, _ = own_southmoor
    assert Capability.CHANGES not in RestConnector(config(partner.url)).capabilities
    asked = PartnerConfig(
        "southmoor",
        "rest",
        connection=config(partner.url).connection,
        capabilities=frozenset({Capability.CHANGES}),
    )
    with pytest.raises(ConnectorConfigError, match=r"connection\.changes = true"):
        RestConnector(asked)
