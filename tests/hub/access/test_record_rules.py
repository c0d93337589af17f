"""Record-level rules on top of scopes: health markers, conditional intelligence, the organisation policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tests.support import HubClient, Partner

MARKERS = "query($id: ID!) { person(id: $id) { warningMarkers { code category } } }"
ALL_RECORDS = """query($id: ID!) { person(id: $id) {
  warningMarkers { code } intelligence { id } custody { id } safeguarding { id kind } } }"""


async def obrien_id(hub: HubClient) -> str:
    query = "query($c: PersonCriteria!) { searchPersons(criteria: $c) { people { id } } }"
    body = await hub.query(query, {"c": {"familyName": "O'Brien", "dateOfBirth": "1961-01-20"}})
    [person] = body["data"]["searchPersons"]["people"]
    return str(person["id"])


async def test_health_markers_need_markers_health(
    hub: HubClient, police_client: Callable[[list[str]], Awaitable[str]]
) -> None:
    person_id = await obrien_id(hub)
    with_health = await police_client(["person:read", "markers:read", "markers:health"])

    without = await hub.query(MARKERS, {"id": person_id}, client="investigator")
    granted = await hub.query(MARKERS, {"id": person_id}, client=with_health)

    assert "MN" not in {m["code"] for m in without["data"]["person"]["warningMarkers"]}
    assert "MN" in {m["code"] for m in granted["data"]["person"]["warningMarkers"]}
    assert all(m["category"] == "OFFICER_SAFETY" for m in without["data"]["person"]["warningMarkers"])


async def test_child_protection_never_gets_intelligence_custody_or_health_markers_even_when_misconfigured(
    hub: HubClient,
    kilbride_id: str,
    client_with: Callable[..., Awaitable[str]],
    southmoor: Partner,
    eastvale: Partner,
) -> None:
    # A client record given every scope by mistake: the per-organisation-type policy still holds the line.
    mash = await client_with(
        "child-protection-agency",
        [
            "person:match",
            "person:read",
            "markers:read",
            "markers:health",
            "intel:read",
            "intel:content",
            "custody:read",
            "safeguarding:read",
        ],
        purposes=["safeguarding"],
    )
    southmoor.log.clear()
    eastvale.log.clear()

    body = await hub.query(ALL_RECORDS, {"id": kilbride_id}, client=mash, purpose="safeguarding")

    person: dict[str, Any] = body["data"]["person"]
    assert person["intelligence"] is None and person["custody"] is None and person["warningMarkers"] is None
    assert person["safeguarding"], "safeguarding facts are what the agency is for"
    codes = {".".join(map(str, e["path"])): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {
        "person.warningMarkers": "UNAUTHORIZED_FIELD_OR_TYPE",
        "person.intelligence": "UNAUTHORIZED_FIELD_OR_TYPE",
        "person.custody": "UNAUTHORIZED_FIELD_OR_TYPE",
    }
    for partner in (southmoor, eastvale):
        assert set(partner.kinds_asked()) <= {"people", "safeguarding"}


async def test_person_match_answers_hit_or_no_hit_and_whom_to_contact(hub: HubClient) -> None:
    query = """query($c: PersonCriteria!) { personMatch(criteria: $c) {
      hit matches { partner hit contactPoint } partners { name outcome } } }"""

    hit = await hub.query(
        query,
        {"c": {"familyName": "Okafor", "dateOfBirth": "1995-11-02"}},
        client="child-protection",
        purpose="safeguarding",
    )
    miss = await hub.query(
        query, {"c": {"familyName": "Zzyzxqwv"}}, client="child-protection", purpose="safeguarding"
    )

    result = hit["data"]["personMatch"]
    assert result["hit"] is True
    by_partner = {m["partner"]: m for m in result["matches"]}
    assert by_partner["southmoor"]["hit"] and by_partner["eastvale"]["hit"]
    assert by_partner["northshire"]["hit"] is False and by_partner["northshire"]["contactPoint"] is None
    assert by_partner["southmoor"]["contactPoint"]
    assert miss["data"]["personMatch"]["hit"] is False


async def test_person_match_type_has_no_way_to_reach_records(hub: HubClient) -> None:
    query = "query($c: PersonCriteria!) { personMatch(criteria: $c) { matches { records } } }"

    criteria = {"c": {"familyName": "Okafor"}}
    response = await hub.post(query, criteria, client="child-protection", purpose="safeguarding")

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
