"""End to end over the three real partner servers: search, merge, and canonical records."""

from __future__ import annotations

from tests.hub.queries import PERSON, SEARCH
from tests.support import HubClient


async def test_search_merges_one_person_held_by_all_three_forces(hub: HubClient) -> None:
    body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

    assert "errors" not in body
    result = body["data"]["searchPersons"]
    assert [p["name"] for p in result["partners"]] == ["northshire", "southmoor", "eastvale"]
    assert {p["outcome"] for p in result["partners"]} == {"OK"}
    [person] = result["people"]
    assert {s["partner"] for s in person["sources"]} == {"northshire", "southmoor", "eastvale"}
    assert person["dateOfBirth"] == "1984-03-12"
    assert 0.85 <= person["matchConfidence"] <= 1.0
    given = {n["givenName"] for n in person["names"]}
    assert {"Darren", "Daren"} <= given
    assert person["names"][0]["kind"] == "PRIMARY"


async def test_merged_person_carries_canonical_records_from_every_force(hub: HubClient) -> None:
    body = await hub.query(SEARCH, {"criteria": {"familyName": "KILBRIDE", "givenName": "Dar"}})

    [person] = body["data"]["searchPersons"]["people"]
    assert {"FI", "VI"} <= {m["code"] for m in person["warningMarkers"]}
    assert all(m["category"] in {"OFFICER_SAFETY", "HEALTH"} for m in person["warningMarkers"])
    intel = person["intelligence"]
    assert intel and all(len(r["grading"]) == 4 for r in intel)
    assert any(r["handling"] == "SHARING_WITH_CONDITIONS" and r["handlingConditions"] for r in intel)
    assert person["custody"] and all(r["offences"] for r in person["custody"])
    assert any(
        c["kind"] == "DOMESTIC_ABUSE_INCIDENT" and c["childrenPresent"] for c in person["safeguarding"]
    )
    partners_with_records = {r["partner"] for kind in ("intelligence", "custody") for r in person[kind]}
    assert len(partners_with_records) > 1


async def test_common_family_name_returns_people_merged_across_partners(hub: HubClient) -> None:
    body = await hub.query(SEARCH, {"criteria": {"familyName": "Smith"}, "first": 100})

    people = body["data"]["searchPersons"]["people"]
    assert len(people) > 1
    assert any(len({s["partner"] for s in p["sources"]}) > 1 for p in people)
    for person in people:
        assert any(n["familyName"].upper() == "SMITH" for n in person["names"])


async def test_person_id_resolves_back_to_the_same_merged_person(hub: HubClient) -> None:
    searched = (await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}}))["data"]["searchPersons"]
    [person] = searched["people"]

    again = await hub.query(PERSON, {"id": person["id"]})

    assert "errors" not in again
    assert again["data"]["person"]["id"] == person["id"]
    assert again["data"]["person"]["sources"] == person["sources"]
    assert again["data"]["person"]["names"] == person["names"]


async def test_search_by_pnc_id_finds_the_person_in_every_force_that_records_it(hub: HubClient) -> None:
    searched = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})
    pnc = searched["data"]["searchPersons"]["people"][0]["pncId"]

    body = await hub.query(SEARCH, {"criteria": {"pncId": pnc}})

    [person] = body["data"]["searchPersons"]["people"]
    assert person["pncId"] == pnc
    assert len(person["sources"]) >= 2
    assert person["matchConfidence"] == 1.0
