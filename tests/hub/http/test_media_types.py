"""GraphQL over HTTP's media types: `application/graphql-response+json` for clients that accept it (and
those that say nothing, past the specification's 2025 watershed), `application/json` for those that ask only
for it, 406 for those that accept neither; and the status of a document that cannot run under each."""

from __future__ import annotations

from typing import Any

import pytest

from hub.audit.store import AuditFilter
from tests.support import HubClient

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
OK = '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }'


async def post(hub: HubClient, query: str, accept: str | None, **kw: Any) -> Any:
    headers = await hub.headers("investigator", "investigation", "Operation Kestrel")
    if accept is not None:
        headers["Accept"] = accept
    return await hub.client.post("/graphql", json={"query": query}, headers=headers, **kw)


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, JSON),
        ("*/*", JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {JSON}", GRAPHQL_RESPONSE),
        (f"{JSON};q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (JSON, JSON),
        ("application/*", JSON),
    ],
)
async def test_the_answer_comes_in_the_media_type_the_client_prefers(
    hub: HubClient, accept: str | None, media_type: str
) -> None:
    if accept is None:
        hub.client.headers.pop("accept", None)

    response = await post(hub, OK, accept)

    assert response.status_code == 200 and response.headers["content-type"] == media_type
    assert response.json()["data"]["searchPersons"]["people"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0, {GRAPHQL_RESPONSE};q=0"])
async def test_nothing_acceptable_is_406_and_audited(hub: HubClient, accept: str) -> None:
    response = await post(hub, OK, accept)

    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    event = (await hub.app.state.audit.events(AuditFilter(), 10_000))[-1].event
    assert (event.http_status, event.outcome, event.disclosed) == (406, "invalid-request", ())


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ searchPersons(", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("query A { __typename } query B { __typename }", "OPERATION_RESOLUTION_FAILURE"),
    ],
)
@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
async def test_a_document_that_cannot_run_is_4xx_only_where_the_media_type_can_say_so(
    hub: HubClient, query: str, code: str, accept: str, status: int
) -> None:
    response = await post(hub, query, accept)

    assert response.status_code == status and response.headers["content-type"] == accept
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_a_body_that_is_not_json_is_400_under_either(hub: HubClient, accept: str) -> None:
    headers = {**(await hub.headers("investigator", "investigation", "x")), "Accept": accept}
    headers["Content-Type"] = "application/json"

    response = await hub.client.post("/graphql", content=b'{"query": ', headers=headers)

    assert response.status_code == 400 and "data" not in response.json()


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
async def test_posts_a_browser_form_could_send_are_refused(hub: HubClient, content_type: str) -> None:
    headers = {**(await hub.headers("investigator", "investigation", "x")), "Content-Type": content_type}

    response = await hub.client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)

    assert response.status_code == 415  # no simple cross-site request reaches a GraphQL operation
