"""Demand control over HTTP: the 100-alias search flood is refused whole with QUERY_TOO_EXPENSIVE before
any partner is asked, and audited; a query under the budget runs and reports its cost in
`extensions.cost`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from hub.audit.store import AuditFilter
from hub.auth.principal import ClientLimits
from tests.support import HubClient, Partner, open_demo_hub

ONE = 'searchPersons(criteria: {familyName: "Smith"}, first: 100) { people { id names { familyName } } }'
FLOOD = "{ " + " ".join(f"a{i}: {ONE}" for i in range(100)) + " }"
KILBRIDE = '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 5) { people { id custody { id } } } }'


async def test_the_alias_flood_is_refused_before_any_partner_is_asked(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    response = await hub.post(FLOOD)

    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
    assert error["extensions"]["cost"] > error["extensions"]["limit"] == 10_000
    assert error["extensions"]["partnerCalls"] == 300
    assert southmoor.kinds() == [] and eastvale.kinds() == []
    event = (await hub.app.state.audit.events(AuditFilter(), 10_000))[-1].event
    assert event.outcome == "limit-exceeded" and event.disclosed == () and event.http_status == 400


async def test_an_answered_query_reports_its_cost(hub: HubClient) -> None:
    body = await hub.query(KILBRIDE)

    assert body["data"]["searchPersons"]["people"]
    # 1 + 5 people + 25 custody records; 3 searches and a custody call per partner holding custody.
    cost = body["extensions"]["cost"]
    assert cost["limit"] == 10_000 and cost["partnerCalls"] >= 3
    assert cost["estimated"] == 1 + 5 + 25 + 10 * cost["partnerCalls"]
    # The estimate is never below what the partners were asked.
    calls = sum(p["calls"] for p in body["extensions"]["partners"])
    assert calls <= cost["partnerCalls"]


@pytest.fixture
async def tight_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    """A hub whose budget is exactly the cost of the Kilbride query."""
    async with aclosing(open_demo_hub(demo_urls, southmoor, eastvale)) as hubs:
        cost = (await (await anext(hubs)).query(KILBRIDE))["extensions"]["cost"]["estimated"]
    async for client in open_demo_hub(demo_urls, southmoor, eastvale, max_query_cost=cost):
        yield client


async def test_a_query_at_the_budget_runs_and_one_just_over_it_is_refused(
    tight_hub: HubClient, southmoor: Partner
) -> None:
    body = await tight_hub.query(KILBRIDE)
    assert body["data"]["searchPersons"]["people"]
    assert body["extensions"]["cost"]["estimated"] == body["extensions"]["cost"]["limit"]

    southmoor.log.clear()
    one_more = KILBRIDE.replace("custody { id }", "custody { id } names { familyName }")
    refused = await tight_hub.post(one_more)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"
    assert southmoor.kinds() == []


async def test_a_client_that_takes_only_json_gets_the_refusal_with_200(hub: HubClient) -> None:
    headers = await hub.headers("investigator", "investigation", "Operation Kestrel")
    response = await hub.client.post(
        "/graphql", json={"query": FLOOD}, headers={**headers, "Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_EXPENSIVE"


async def test_a_client_with_its_own_budget_is_held_to_it(hub: HubClient, southmoor: Partner) -> None:
    client = await hub.add_client("police-force", ["person:read", "custody:read"])
    await hub.app.state.auth.clients.set_limits(client, ClientLimits(max_query_cost=50))

    refused = await hub.post(KILBRIDE, client=client)

    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_EXPENSIVE" and error["extensions"]["limit"] == 50
    assert southmoor.kinds() == []
    cheap = await hub.query(
        '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 1) { people { id } } }', client=client
    )
    assert cheap["extensions"]["cost"]["limit"] == 50


async def test_a_documents_cost_is_worked_out_once_per_list_size(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.schema import operation_checks

    estimates: list[object] = []
    real = operation_checks.estimate

    def counted(*args: object) -> object:
        estimates.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(operation_checks, "estimate", counted)
    query = (
        'query($n: Int) { searchPersons(criteria: {familyName: "Kilbride"}, first: $n) { people { id } } }'
    )
    costs = [(await hub.query(query, {"n": n}))["extensions"]["cost"]["estimated"] for n in (2, 2, 3, 2)]

    assert len(estimates) == 2 and costs[0] == costs[1] == costs[3] < costs[2]
