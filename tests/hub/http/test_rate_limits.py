"""Rate limits per client, per organisation and per anonymous address: over one, 429 RATE_LIMITED with
Retry-After, audited, no partner asked. In memory by default; in Redis (HUB_TEST_REDIS_URL) two hubs share
one budget; with Redis unreachable the hub fails closed (503) unless told to fail open."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from hub.audit.store import AuditFilter
from hub.auth.principal import ClientLimits
from tests.support import HubClient, Partner, open_demo_hub

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
KILBRIDE = '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 1) { people { id } } }'
#: Nothing here is down: unreachable on purpose (port 9 is "discard", closed on this machine).
DEAD_REDIS = "redis://127.0.0.1:9/0"


async def add_limited_client(hub: HubClient, rate_limit: str | None, organisation: str = "Test Org") -> str:
    client_id = await hub.add_client("police-force", ["person:read"], organisation=organisation)
    await hub.app.state.auth.clients.set_limits(client_id, ClientLimits(rate_limit=rate_limit))
    return client_id


@pytest.fixture
async def hub(demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> AsyncIterator[HubClient]:
    async for client in open_demo_hub(
        demo_urls, southmoor, eastvale, organisation_rate_limit="4/minute", anonymous_rate_limit="2/minute"
    ):
        yield client


async def test_a_client_over_its_own_limit_gets_429_with_retry_after_audited_and_no_partner_asked(
    hub: HubClient, southmoor: Partner
) -> None:
    client = await add_limited_client(hub, "2/minute")
    for _ in range(2):
        assert (await hub.post(KILBRIDE, client=client)).status_code == 200
    southmoor.log.clear()

    refused = await hub.post(KILBRIDE, client=client)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    body = refused.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert body["errors"][0]["extensions"]["limit"] == "2/minute"
    assert "client " + client in body["errors"][0]["message"]
    assert southmoor.kinds() == []
    event = (await hub.app.state.audit.events(AuditFilter(client_id=client), 100))[-1].event
    assert event.outcome == "limit-exceeded" and event.http_status == 429 and event.disclosed == ()


async def test_one_client_over_its_limit_leaves_another_unaffected(hub: HubClient) -> None:
    limited = await add_limited_client(hub, "1/minute", organisation="Org A")
    other = await add_limited_client(hub, None, organisation="Org B")
    assert (await hub.post(KILBRIDE, client=limited)).status_code == 200
    assert (await hub.post(KILBRIDE, client=limited)).status_code == 429
    assert (await hub.post(KILBRIDE, client=other)).status_code == 200


async def test_the_clients_of_one_organisation_share_its_limit(hub: HubClient) -> None:
    first = await add_limited_client(hub, None, organisation="Eastvale Council")
    second = await add_limited_client(hub, None, organisation="Eastvale Council")
    statuses = [(await hub.post(KILBRIDE, client=c)).status_code for c in (first, second) * 3]
    assert statuses == [200, 200, 200, 200, 429, 429]
    refused = await hub.post(KILBRIDE, client=first)
    assert "organisation Eastvale Council" in refused.json()["errors"][0]["message"]


async def test_callers_without_a_token_are_limited_per_address(hub: HubClient) -> None:
    statuses = [(await hub.post("{ __typename }", client=None)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_a_change_to_a_clients_limit_applies_without_a_restart(hub: HubClient) -> None:
    client = await add_limited_client(hub, "1/minute", organisation="Org C")
    assert (await hub.post(KILBRIDE, client=client)).status_code == 200
    assert (await hub.post(KILBRIDE, client=client)).status_code == 429
    await hub.app.state.auth.clients.set_limits(client, ClientLimits(rate_limit="3/minute"))
    assert (await hub.post(KILBRIDE, client=client)).status_code == 200


@pytest.fixture
async def dead_redis_hubs(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[tuple[HubClient, HubClient]]:
    async with AsyncExitStack() as stack:
        closed = await stack.enter_async_context(
            _entered(open_demo_hub(demo_urls, southmoor, eastvale, redis_url=DEAD_REDIS))
        )
        open_ = await stack.enter_async_context(
            _entered(
                open_demo_hub(demo_urls, southmoor, eastvale, redis_url=DEAD_REDIS, rate_limit_fail_open=True)
            )
        )
        yield closed, open_


class _entered:
    """An async-generator fixture's one value, as an async context manager."""

    def __init__(self, generator: AsyncIterator[HubClient]) -> None:
        self.generator = generator

    async def __aenter__(self) -> HubClient:
        return await anext(self.generator)

    async def __aexit__(self, *exc: object) -> None:
        await self.generator.aclose()  # type: ignore[attr-defined]


async def test_with_redis_down_the_hub_fails_closed_by_default_and_open_when_told(
    dead_redis_hubs: tuple[HubClient, HubClient], southmoor: Partner
) -> None:
    closed, open_ = dead_redis_hubs

    refused = await closed.post(KILBRIDE)
    assert refused.status_code == 503
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITS_UNAVAILABLE"
    assert southmoor.kinds() == []
    ready = await closed.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["redis"] == "unavailable"
    event = (await closed.app.state.audit.events(AuditFilter(), 100))[-1].event
    assert event.http_status == 503

    served = await open_.post(KILBRIDE)
    assert served.status_code == 200 and served.json()["data"]["searchPersons"]["people"]
    assert (await open_.client.get("/readyz")).json()["redis"] == "unavailable"


@pytest.mark.skipif(REDIS_URL is None, reason="HUB_TEST_REDIS_URL is not set")
async def test_two_hubs_sharing_redis_enforce_one_budget(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner, tmp_path: Path
) -> None:
    async with AsyncExitStack() as stack:
        # Two replicas: one database (clients, keys), one Redis, each its own process state.
        hubs = [
            await stack.enter_async_context(
                _entered(open_demo_hub(demo_urls, southmoor, eastvale, tmp_path, redis_url=REDIS_URL))
            )
            for _ in range(2)
        ]
        client = await add_limited_client(hubs[0], "5/minute", organisation=f"Shared Org {uuid.uuid4()}")
        token = await hubs[0].token(client)
        hubs[1]._tokens[client] = token  # a token one replica issued is good at the other

        answers = await asyncio.gather(*(hubs[i % 2].post(KILBRIDE, client=client) for i in range(12)))

        codes = [r.status_code for r in answers]
        assert codes.count(200) == 5 and codes.count(429) == 7
        assert {r.status_code for r in answers[1::2]} & {200}  # the second replica served some of them


async def test_the_token_endpoint_is_limited_per_address_before_any_secret_is_checked(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _entered(open_demo_hub(demo_urls, southmoor, eastvale, token_rate_limit="2/minute")) as hub:
        checked: list[str] = []
        authenticate = hub.app.state.auth.clients.authenticate

        async def counted(client_id: str, secret: str) -> object:
            checked.append(client_id)
            return await authenticate(client_id, secret)

        monkeypatch.setattr(hub.app.state.auth.clients, "authenticate", counted)
        form = {"grant_type": "client_credentials", "client_id": "investigator", "client_secret": "wrong" * 4}
        answers = [await hub.client.post("/oauth/token", data=form) for _ in range(3)]

        assert [a.status_code for a in answers] == [401, 401, 429]
        assert answers[2].json()["error"] == "rate_limited" and int(answers[2].headers["Retry-After"]) >= 1
        assert checked == ["investigator", "investigator"]  # the third never reached the slow check
