"""Requests past the hub's limits (body size, document tokens, depth, aliases) are refused whole with a
stable code, before any resolver runs: no partner is asked, nothing is disclosed, and the refusal is
audited like any other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.audit.store import AuditFilter
from hub.config.settings import HubSettings
from tests.hub.queries import SEARCH
from tests.support import HubClient, Partner, open_hub, partner_configs

KILBRIDE = {"criteria": {"familyName": "Kilbride"}}


@pytest.fixture
async def strict_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    """A hub with small limits, so that ordinary queries can pass them."""
    settings = HubSettings(
        max_query_depth=3, max_query_aliases=2, max_query_tokens=200, max_request_bytes=4096
    )
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url), settings):
        yield client


async def last_event(hub: HubClient) -> Any:
    events = await hub.app.state.audit.events(AuditFilter(), 10_000)
    return events[-1].event


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body["errors"]]


async def assert_refused_and_audited(
    hub: HubClient, partners: tuple[Partner, Partner], body: dict[str, Any], code: str
) -> None:
    assert "data" not in body, "a request error carries no data entry"
    assert set(codes(body)) == {code}, body
    assert [p.kinds() for p in partners] == [[], []], "no partner was asked"
    event = await last_event(hub)
    assert event.outcome == "limit-exceeded" and event.disclosed == ()


async def test_a_query_deeper_than_the_limit_is_refused(
    strict_hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    deep = (
        '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { custody { offences { code } } } } }'
    )
    assert deep.count("{") - deep.count("{f") == 5  # searchPersons, people, custody, offences, code

    response = await strict_hub.post(deep)

    assert response.status_code == 400
    await assert_refused_and_audited(strict_hub, (southmoor, eastvale), response.json(), "QUERY_TOO_COMPLEX")
    assert "exceeds maximum operation depth of 3" in response.json()["errors"][0]["message"]


async def test_a_query_at_the_depth_limit_is_answered(strict_hub: HubClient) -> None:
    body = await strict_hub.query('{ searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }')
    assert "errors" not in body and body["data"]["searchPersons"]["people"]


async def test_more_aliases_than_the_limit_are_refused(
    strict_hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    response = await strict_hub.post("{ a: __typename b: __typename c: __typename }")

    await assert_refused_and_audited(strict_hub, (southmoor, eastvale), response.json(), "QUERY_TOO_COMPLEX")
    assert "3 aliases found. Allowed: 2" in response.json()["errors"][0]["message"]


async def test_a_document_of_more_tokens_than_the_limit_is_refused_unparsed(
    strict_hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    response = await strict_hub.post("{ " + "__typename " * 250 + "}")

    await assert_refused_and_audited(strict_hub, (southmoor, eastvale), response.json(), "QUERY_TOO_LARGE")


async def test_a_body_longer_than_the_limit_is_refused_with_413(
    strict_hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    padding = "#" + "x" * 5000 + "\n"  # a comment: the document is otherwise a valid search
    response = await strict_hub.post(padding + SEARCH, KILBRIDE)

    assert response.status_code == 413
    await assert_refused_and_audited(strict_hub, (southmoor, eastvale), response.json(), "REQUEST_TOO_LARGE")
    assert response.json()["errors"][0]["extensions"]["limit"] == 4096
    event = await last_event(strict_hub)
    assert event.http_status == 413


async def test_a_streamed_body_is_cut_off_at_the_limit(
    strict_hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the body says nothing of its size
        for _ in range(1000):
            yield b" " * 1024

    headers = await strict_hub.headers("investigator", "investigation", "Operation Kestrel")
    response = await strict_hub.client.post("/graphql", content=chunks(), headers=headers)

    assert response.status_code == 413
    await assert_refused_and_audited(strict_hub, (southmoor, eastvale), response.json(), "REQUEST_TOO_LARGE")


async def test_the_default_limits_let_fifty_people_and_introspection_through(hub: HubClient) -> None:
    fifty = "{ " + " ".join(f'p{i}: person(id: "P1.x") {{ id custody {{ id }} }}' for i in range(50)) + " }"
    body = (await hub.post(fifty)).json()
    assert not {"QUERY_TOO_COMPLEX", "QUERY_TOO_LARGE"} & set(codes(body))
    introspection = await hub.query(
        "{ __schema { types { name fields { type { ofType { ofType { ofType { name } } } } } } } }",
        client="developer",
    )
    assert "errors" not in introspection and introspection["data"]["__schema"]["types"]
