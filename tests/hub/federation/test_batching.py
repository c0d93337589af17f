"""No N+1: every question the benchmark asks costs the fewest partner calls the connector contract allows,
counted at the partners (their request logs, the SQL partner's statements).

The connector contract's `fetch` carries every kind of record a question selects, so the least a question
can cost is one call per partner that holds any of the people, whatever the number of people and of kinds:
one GraphQL document, one SQL statement, one REST request with `include=`. A REST partner whose API has no
`include` costs one request per kind, all sent at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import event

from bench._scenarios import FIFTY, FIFTY_FIELD, PERSON, SEARCH
from connectors.demo.embedded import FaultPlan
from connectors.demo.serve import RefusedPort
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Murphy", "Evans")
#: What a `person(id:)` with everything asks each partner holding the person for, in one request.
EVERYTHING = "people+markers+intelligence+custody+safeguarding"
KINDS = EVERYTHING.split("+")


async def fifty_people(hub: HubClient) -> list[dict[str, Any]]:
    people: dict[str, dict[str, Any]] = {}
    for surname in SURNAMES:
        body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": surname}, "first": 100})
        people.update({p["id"]: p for p in body["data"]["searchPersons"]["people"]})
        if len(people) >= 50:
            break
    assert len(people) >= 50, "the test records should hold 50 people with common surnames"
    return list(people.values())[:50]


def tables_read(statement: str) -> set[str]:
    """Every table a statement reads (after FROM; a derived table is not one)."""
    after = (part.split()[0] for part in statement.split(" FROM ")[1:])
    return {name.strip('"').split(".")[-1] for name in after if not name.startswith("(")}


@contextmanager
def sql_statements(hub: HubClient) -> Iterator[list[str]]:
    """The statements the hub sends the SQL partner (northshire) inside the block."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = hub.connector("northshire").engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def calls(body: dict[str, Any]) -> dict[str, int]:
    return {p["name"]: p["calls"] for p in body["extensions"]["partners"]}


@pytest.fixture
def http_partners(southmoor: Partner, eastvale: Partner) -> Iterator[tuple[Partner, Partner]]:
    southmoor.log.clear()
    eastvale.log.clear()
    yield southmoor, eastvale


async def test_fifty_people_cost_one_call_per_partner(
    hub: HubClient, http_partners: tuple[Partner, Partner]
) -> None:
    people = await fifty_people(hub)
    holders = {s["partner"] for p in people for s in p["sources"]}
    assert holders == {"northshire", "southmoor", "eastvale"}
    for partner in http_partners:
        partner.log.clear()

    with sql_statements(hub) as statements:
        body = await hub.query(FIFTY % " ".join(FIFTY_FIELD % (i, p["id"]) for i, p in enumerate(people)))

    assert "errors" not in body
    assert len(body["data"]) == 50
    assert all(body["data"][f"p{i}"]["id"] == people[i]["id"] for i in range(50))
    for partner in http_partners:
        assert partner.kinds() == ["people+intelligence+custody"]
    # The SQL partner: one statement for every table these records are kept in, whatever the number of people.
    assert len(statements) == 1, statements
    assert {"nominal", "intel_log", "custody_event", "custody_offence"} <= tables_read(statements[0])
    assert calls(body) == {"northshire": 1, "southmoor": 1, "eastvale": 1}


async def test_a_search_costs_one_call_per_partner(
    hub: HubClient, http_partners: tuple[Partner, Partner]
) -> None:
    with sql_statements(hub) as statements:
        body = await hub.query(SEARCH, {"name": "Smith"})

    assert "errors" not in body
    assert len(body["data"]["searchPersons"]["people"]) == 20
    for partner in http_partners:
        assert partner.kinds() == ["search"]
    assert calls(body) == {"northshire": 1, "southmoor": 1, "eastvale": 1}
    # One statement finds the people and reads their other names and addresses: none per person.
    assert len(statements) == 1, statements
    assert tables_read(statements[0]) == {"nominal", "nominal_alias", "nominal_address"}


async def test_a_person_with_everything_costs_one_call_at_each_holder(
    hub: HubClient, http_partners: tuple[Partner, Partner]
) -> None:
    found = await hub.query(SEARCH, {"name": "Kilbride"})
    [darren] = found["data"]["searchPersons"]["people"]
    assert {s["partner"] for s in darren["sources"]} == {"northshire", "southmoor", "eastvale"}
    for partner in http_partners:
        partner.log.clear()

    with sql_statements(hub) as statements:
        body = await hub.query(PERSON, {"id": darren["id"]})

    assert "errors" not in body
    assert body["data"]["person"]["custody"], "the showcase person has custody records"
    for partner in http_partners:
        assert partner.kinds() == [EVERYTHING]
    assert calls(body) == dict.fromkeys(("northshire", "southmoor", "eastvale"), 1)
    assert len(statements) == 1, statements


async def test_a_person_known_to_one_partner_costs_the_others_nothing(
    hub: HubClient, http_partners: tuple[Partner, Partner]
) -> None:
    found = await hub.query(SEARCH, {"name": "O'Brien"})
    [margaret] = [p for p in found["data"]["searchPersons"]["people"] if p["dateOfBirth"] == "1961-01-20"]
    assert {s["partner"] for s in margaret["sources"]} == {"northshire"}
    for partner in http_partners:
        partner.log.clear()

    body = await hub.query(PERSON, {"id": margaret["id"]})

    assert "errors" not in body
    assert [partner.kinds() for partner in http_partners] == [[], []]
    assert calls(body) == {"northshire": 1}


async def test_a_search_with_a_partner_down_costs_the_others_one_call_each(
    demo_urls: dict[str, str], http_partners: tuple[Partner, Partner]
) -> None:
    southmoor, eastvale = http_partners
    plan = FaultPlan.parse(["southmoor=refused"])
    with RefusedPort() as port:
        urls, endpoints = plan.locations(
            demo_urls, {"southmoor": southmoor.url, "eastvale": eastvale.url}, port
        )
        async for hub in open_hub(partner_configs(urls, endpoints["southmoor"], endpoints["eastvale"])):
            body = await hub.query(SEARCH, {"name": "Smith"})

    assert {e["extensions"]["partner"] for e in body["errors"]} == {"southmoor"}
    assert southmoor.kinds() == [], "no request reached the partner that is down"
    assert eastvale.kinds() == ["search"]
    assert calls(body)["northshire"] == 1 and calls(body)["eastvale"] == 1


async def test_a_rest_partner_without_include_costs_one_request_per_kind_at_once(
    demo_urls: dict[str, str], http_partners: tuple[Partner, Partner]
) -> None:
    southmoor, eastvale = http_partners
    configs = [
        replace(c, connection={k: v for k, v in c.connection.items() if k != "include"})
        if c.name == "southmoor"
        else c
        for c in partner_configs(demo_urls, southmoor.url, eastvale.url)
    ]
    async for hub in open_hub(configs):
        found = await hub.query(SEARCH, {"name": "Kilbride"})
        [darren] = found["data"]["searchPersons"]["people"]
        southmoor.log.clear()
        southmoor.faults.update(
            {"latency_ms": 200}
        )  # long enough that requests sent one after another would not overlap
        body = await hub.query(PERSON, {"id": darren["id"]})

    assert "errors" not in body
    assert Counter(southmoor.kinds()) == dict.fromkeys(KINDS, 1)
    entries = southmoor.log.snapshot()
    assert max(e["started"] for e in entries) < min(e["ended"] for e in entries), "sent at once"
    assert calls(body)["southmoor"] == 1, "one call of the hub's, however the connector answers it"
