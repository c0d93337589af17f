"""A partner that is down or answers garbage costs the answer its records, never the whole answer."""

from __future__ import annotations

from typing import Any

from tests.hub.queries import SEARCH
from tests.support import HubClient, Partner, open_hub, partner_configs, start_rest


def partner_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in body.get("errors", []) if "partner" in e.get("extensions", {})]


def assert_partial(body: dict[str, Any], failed: str, code: str, outcome: str) -> None:
    result = body["data"]["searchPersons"]
    statuses = {p["name"]: p for p in result["partners"]}
    assert statuses[failed]["outcome"] == outcome
    assert statuses[failed]["error"]
    assert {s["outcome"] for name, s in statuses.items() if name != failed} == {"OK"}
    [error] = partner_errors(body)
    assert error["extensions"] == {"code": code, "partner": failed}
    assert failed in error["message"]
    people = result["people"]
    assert people, "the other partners' people still come back"
    sources = {s["partner"] for p in people for s in p["sources"]}
    assert failed not in sources
    assert sources == {"northshire", "southmoor", "eastvale"} - {failed}


async def test_stopped_partner_is_named_and_the_rest_answer(
    demo_urls: dict[str, str], eastvale: Partner
) -> None:
    doomed = start_rest(demo_urls["southmoor"])
    url = doomed.url
    doomed.server.stop()
    async for hub in open_hub(partner_configs(demo_urls, url, eastvale.url)):
        body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

        assert_partial(body, "southmoor", "PARTNER_UNAVAILABLE", "UNAVAILABLE")
        [person] = body["data"]["searchPersons"]["people"]
        assert person["intelligence"] is not None
        assert body["extensions"]["partners"]


async def test_partner_answering_malformed_json_is_named_and_the_rest_answer(
    hub: HubClient, eastvale: Partner
) -> None:
    eastvale.faults.update({"mode": "malformed"})

    body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

    assert_partial(body, "eastvale", "PARTNER_BAD_RESPONSE", "BAD_RESPONSE")


async def test_partner_failing_after_the_search_still_leaves_the_others_records(
    hub: HubClient, southmoor: Partner
) -> None:
    first = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})
    person_id = first["data"]["searchPersons"]["people"][0]["id"]
    southmoor.faults.update({"mode": "error"})

    body = await hub.query(
        "query($id: ID!) { person(id: $id) { sources { partner } custody { partner } } }", {"id": person_id}
    )

    person = body["data"]["person"]
    assert person is not None
    assert {c["partner"] for c in person["custody"]} <= {"northshire", "eastvale"}
    [error] = partner_errors(body)
    assert error["extensions"] == {"code": "PARTNER_UNAVAILABLE", "partner": "southmoor"}
