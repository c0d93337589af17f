"""Stated purpose, anonymous callers, and strict mode: refused operations return no personal data."""

from __future__ import annotations

import pytest

from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner

KILBRIDE = {"criteria": {"familyName": "Kilbride"}}


async def test_query_without_purpose_is_refused_with_no_data(hub: HubClient, southmoor: Partner) -> None:
    body = await hub.query(SEARCH_IDS, KILBRIDE, purpose=None)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PURPOSE_REQUIRED"]
    assert "Hub-Purpose" in body["errors"][0]["message"]
    assert southmoor.kinds() == []


async def test_purpose_without_justification_is_refused(hub: HubClient) -> None:
    body = await hub.query(SEARCH_IDS, KILBRIDE, justification="")

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "PURPOSE_REQUIRED"


@pytest.mark.parametrize(
    ("client", "purpose"), [("child-protection", "investigation"), ("investigator", "gossip")]
)
async def test_purpose_the_client_may_not_state_is_refused(hub: HubClient, client: str, purpose: str) -> None:
    body = await hub.query(SEARCH_IDS, KILBRIDE, client=client, purpose=purpose)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["PURPOSE_NOT_ALLOWED"]


async def test_child_protection_may_consult_for_safeguarding(hub: HubClient) -> None:
    body = await hub.query(SEARCH_IDS, KILBRIDE, client="child-protection", purpose="safeguarding")

    assert "errors" not in body
    assert len(body["data"]["searchPersons"]["people"]) == 1


async def test_no_token_on_a_protected_query_is_401_with_no_data(hub: HubClient, southmoor: Partner) -> None:
    response = await hub.post(SEARCH_IDS, KILBRIDE, client=None)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "data" not in response.json()  # refused before it ran: a request error
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert southmoor.kinds() == []


async def test_public_fields_need_no_token(hub: HubClient) -> None:
    response = await hub.post("{ __typename }", client=None)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] == {"__typename": "Query"} and "errors" not in body
    assert body["extensions"]["cost"]["estimated"] == 0


async def test_introspection_needs_the_schema_introspect_scope(hub: HubClient) -> None:
    query = "{ __schema { queryType { name } } }"

    refused = await hub.query(query, client="frontline", purpose=None)
    allowed = await hub.query(query, client="developer", purpose=None)

    assert refused["errors"][0]["extensions"]["code"] == "INTROSPECTION_NOT_ALLOWED"
    assert allowed["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_strict_mode_refuses_the_whole_operation(strict_hub: HubClient, southmoor: Partner) -> None:
    query = "query($c: PersonCriteria!) { searchPersons(criteria: $c) { people { id intelligence { id } } } }"

    body = await strict_hub.query(
        query, {"c": KILBRIDE["criteria"]}, client="frontline", purpose="officer-safety"
    )

    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert error["extensions"]["deniedFields"] == ["searchPersons.people.intelligence"]
    assert southmoor.kinds() == []


async def test_client_credentials_end_to_end_over_http(hub: HubClient) -> None:
    secret = await hub.app.state.auth.clients.add(
        "westmarch-cid", "Westmarch Police", "police-force", ["person:read", "custody:read"], secret=None
    )
    issued = await hub.client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("westmarch-cid", secret)
    )
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]

    response = await hub.client.post(
        "/graphql",
        json={"query": '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { custody { id } } } }'},
        headers={
            "Authorization": f"Bearer {token}",
            "Hub-Purpose": "investigation",
            "Hub-Justification": "Westmarch ref 77/2026",
        },
    )

    assert response.status_code == 200
    [person] = response.json()["data"]["searchPersons"]["people"]
    assert person["custody"]


@pytest.mark.parametrize(
    "authorization", ["Bearer not-a-jwt", "Bearer ", "Basic aHViOmh1Yg==", "Bearer a.b.c"]
)
async def test_bad_token_on_the_hub_is_401_with_the_rfc6750_header(
    hub: HubClient, authorization: str
) -> None:
    response = await hub.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer") and 'error="invalid_' in challenge
    assert "data" not in response.json()
