"""Bad input gets a clear GraphQL error with a stable code, and the hub goes on serving."""

from __future__ import annotations

from typing import Any

import pytest

from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def still_serving(hub: HubClient) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    assert len(body["data"]["searchPersons"]["people"]) == 1


@pytest.mark.parametrize(
    "criteria",
    [{}, {"givenName": "Darren"}, {"familyName": "   "}, {"dateOfBirth": "1984-03-12"}],
)
async def test_search_without_family_name_or_pnc_id_is_refused(
    hub: HubClient, criteria: dict[str, Any]
) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": criteria})

    assert body["data"] is None
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "familyName" in body["errors"][0]["message"] and "pncId" in body["errors"][0]["message"]
    await still_serving(hub)


@pytest.mark.parametrize("dob", ["1984-13-45", "12/03/1984", "yesterday", ""])
async def test_malformed_date_of_birth_in_variables_is_refused(hub: HubClient, dob: str) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride", "dateOfBirth": dob}})

    assert codes(body) == ["BAD_USER_INPUT"]
    assert "Date" in body["errors"][0]["message"]
    await still_serving(hub)


async def test_malformed_date_of_birth_inline_is_refused(hub: HubClient) -> None:
    query = (
        '{ searchPersons(criteria: {familyName: "Kilbride", dateOfBirth: "1984-02-30"}) { people { id } } }'
    )

    response = await hub.post(query)

    # Refused as the document is validated, before it runs: a request error.
    assert response.status_code == 400 and "data" not in response.json()
    assert codes(response.json()) == ["BAD_USER_INPUT"]
    await still_serving(hub)


async def test_invalid_pnc_id_is_refused_with_the_reason(hub: HubClient) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": {"pncId": "1984/0123456A"}})

    assert codes(body) == ["BAD_USER_INPUT"]
    assert "check letter" in body["errors"][0]["message"]


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_result_count_out_of_range_is_refused(hub: HubClient, first: int) -> None:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Smith"}, "first": first})

    assert codes(body) == ["BAD_USER_INPUT"]


async def test_unknown_person_id_is_not_found(hub: HubClient) -> None:
    unknown = hub.app.state.person_ids.encode([("northshire", "NS999999"), ("eastvale", "EV999999")])

    body = await hub.query("query($id: ID!) { person(id: $id) { id } }", {"id": unknown})

    assert body["data"] == {"person": None}
    assert codes(body) == ["PERSON_NOT_FOUND"]
    await still_serving(hub)


@pytest.mark.parametrize("bad_id", ["nonsense", "P1.!!!", "P2.!!!", "", "P2." + "A" * 5000])
async def test_malformed_person_id_is_refused(hub: HubClient, bad_id: str) -> None:
    body = await hub.query("query($id: ID!) { person(id: $id) { id } }", {"id": bad_id})

    assert codes(body) == ["PERSON_ID_INVALID"]
    assert len(body["errors"][0]["message"]) < 200


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{ searchPersons(criteria: {familyName: ", "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", "GRAPHQL_VALIDATION_FAILED"),
        ('{ searchPersons(criteria: {familyName: "X"}) { people { secret } } }', "GRAPHQL_VALIDATION_FAILED"),
    ],
)
async def test_malformed_graphql_gets_a_stable_code(hub: HubClient, document: str, code: str) -> None:
    response = await hub.post(document)

    assert codes(response.json()) == [code]
    await still_serving(hub)
