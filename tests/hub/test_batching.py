"""No N+1: a query over 50 people costs one call per partner per record kind, counted at the partners."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import event

from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner

SURNAMES = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Murphy", "Evans")


async def fifty_people(hub: HubClient) -> list[dict[str, Any]]:
    people: dict[str, dict[str, Any]] = {}
    for surname in SURNAMES:
        body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": surname}, "first": 100})
        people.update({p["id"]: p for p in body["data"]["searchPersons"]["people"]})
        if len(people) >= 50:
            break
    assert len(people) >= 50, "the test records should hold 50 people with common surnames"
    return list(people.values())[:50]


def fifty_person_query(ids: list[str]) -> str:
    fields = "\n".join(
        f'p{i}: person(id: "{pid}") {{ id intelligence {{ id grading }} custody {{ id custodyNumber }} }}'
        for i, pid in enumerate(ids)
    )
    return "query Fifty {\n" + fields + "\n}"


def sql_tables_queried(statements: list[str]) -> Counter[str]:
    """How many statements read each of the SQL partner's tables (by the first table after FROM)."""
    tables: Counter[str] = Counter()
    for sql in statements:
        after_from = sql.split(" FROM ", 1)[1].split()[0]
        tables[after_from.strip('"').split(".")[-1]] += 1
    return tables


async def test_fifty_people_cost_one_call_per_partner_per_record_kind(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    people = await fifty_people(hub)
    holders = {s["partner"] for p in people for s in p["sources"]}
    assert holders == {"northshire", "southmoor", "eastvale"}
    southmoor.log.clear()
    eastvale.log.clear()
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    engine = hub.connector("northshire").engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        body = await hub.query(fifty_person_query([p["id"] for p in people]))
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert "errors" not in body
    assert len(body["data"]) == 50
    assert all(body["data"][f"p{i}"]["id"] == people[i]["id"] for i in range(50))
    for partner in (southmoor, eastvale):
        assert Counter(partner.kinds()) == {"people": 1, "intelligence": 1, "custody": 1}
    # The SQL partner: one statement per table it keeps these records in, whatever the number of people.
    tables = sql_tables_queried(statements)
    assert tables["intel_log"] == 1
    assert tables["custody_event"] == 1
    assert tables["custody_offence"] <= 1
    assert tables["nominal"] == 1
    assert all(n == 1 for n in tables.values()), tables
    calls = {p["name"]: p["calls"] for p in body["extensions"]["partners"]}
    assert calls == {"northshire": 3, "southmoor": 3, "eastvale": 3}
