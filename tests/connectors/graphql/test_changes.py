"""The graphql kind reads Eastvale's change feed: a new reader starts from now, every record added after is
one change of its kind (an arrest: custody), and the cursor moves on; what Eastvale adds is read through
the demo's own arrest endpoint, on a copy of its records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from connectors.canonical import SearchCriteria
from connectors.contract import Capability, Change, PartnerConfig
from connectors.errors import PartnerBadResponse
from connectors.graphql import GraphQLConnector
from tests.support import Partner


@pytest.fixture
async def connector(own_eastvale: Partner) -> AsyncIterator[GraphQLConnector]:
    connector = GraphQLConnector(
        PartnerConfig("eastvale", "graphql", connection={"url": f"{own_eastvale.url}/graphql"})
    )
    await connector.open()
    yield connector
    await connector.aclose()


async def arrest(partner: Partner, subject: str) -> str:
    async with httpx.AsyncClient() as client:
        body = {
            "subjectRef": subject,
            "reason": "Wanted on warrant",
            "offences": [{"code": "W1", "wording": "FTA"}],
        }
        response = await client.post(f"{partner.url}/_demo/arrests", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["ref"])


async def test_a_new_reader_starts_from_now_and_then_reads_each_new_record(
    connector: GraphQLConnector, own_eastvale: Partner
) -> None:
    start = await connector.changes(None, 100)
    assert start.changes == []
    [darren] = await connector.search_people(SearchCriteria(family_name="Kilbride"), 5)

    ref = await arrest(own_eastvale, darren.record_id)
    page = await connector.changes(start.cursor, 100)

    assert page.changes == [Change(Capability.CUSTODY, darren.record_id, ref)]
    assert (await connector.changes(page.cursor, 100)).changes == [], "the cursor moved past it"
    custody = (await connector.get_custody([darren.record_id]))[darren.record_id]
    assert ref in {c.id for c in custody}


async def test_a_feed_page_that_is_not_one_is_a_bad_response(own_eastvale: Partner) -> None:
    own_eastvale.faults.update({"mode": "wrong_shape"})
    connector = GraphQLConnector(
        PartnerConfig("eastvale", "graphql", connection={"url": f"{own_eastvale.url}/graphql"})
    )
    async with connector:
        with pytest.raises(PartnerBadResponse):
            await connector.changes("0", 10)


async def test_a_connector_narrowed_to_lookups_offers_no_feed(own_eastvale: Partner) -> None:
    config = PartnerConfig(
        "eastvale",
        "graphql",
        connection={"url": f"{own_eastvale.url}/graphql"},
        capabilities=frozenset({Capability.PEOPLE}),
    )
    async with GraphQLConnector(config) as connector:
        with pytest.raises(Exception, match="does not offer 'changes'"):
            await connector.changes(None, 10)
