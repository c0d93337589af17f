"""Watches end to end, the hub served by uvicorn on loopback and spoken to as a client would, over a real
WebSocket (graphql-transport-ws, the token in connection_init): an investigator watches Kilbride and
subscribes; Eastvale records an arrest; the subscription receives it, once, with the custody record, within
the poll interval. A connection without a valid token is refused, a query cannot be run over the socket, a
caller without watch:write cannot subscribe, and a revoked client's subscription is closed."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from connectors.demo.serve import ServerThread
from hub.auth.services import AuthServices
from hub.config.settings import HubSettings
from hub.db import create_engine
from hub.http.app import create_app
from tests.support import Partner, partner_configs, template_hub_database

WATCH = "mutation($id: ID!) { watchPerson(personId: $id, kinds: [CUSTODY]) { id } }"
SEARCH = """query { searchPersons(criteria: {familyName: "Kilbride"}) {
  people { id sources { partner recordId } } } }"""
EVENTS = "subscription { personEvents { kind partner watchId custody { id arrestReason outcome } } }"
POLL_SECONDS = 0.2
JUSTIFIED = "Test suite: Operation Kestrel, ref 24/1234"


@pytest.fixture
def settings(tmp_path: Path) -> HubSettings:
    data = tmp_path / "hub"
    data.mkdir()
    shutil.copyfile(template_hub_database(), data / "hub.db")
    # Revocations are seen at once, and the feeds are read every POLL_SECONDS.
    return HubSettings(
        data_dir=data, database_url=None, watch_poll_seconds=POLL_SECONDS, client_cache_seconds=0
    )


@pytest.fixture
def hub(
    settings: HubSettings, demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner
) -> Iterator[str]:
    configs = partner_configs(demo_urls, southmoor.url, own_eastvale.url)
    # Each feed read every POLL_SECONDS (poll_interval: a partners-file key, by default the setting).
    configs = [dataclasses.replace(c, poll_interval=POLL_SECONDS) for c in configs]
    app = create_app(settings, partners=configs)
    server = ServerThread(app).start()
    yield server.url
    server.stop()


@pytest.fixture
async def auth(settings: HubSettings, hub: str) -> AsyncIterator[AuthServices]:
    """The hub's clients and keys, as an administrator reaches them (the same database)."""
    engine = create_engine(settings.effective_database_url)
    services = AuthServices.from_settings(settings, engine)
    await services.open()
    yield services
    await services.aclose()
    await engine.dispose()


async def post(hub: str, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Hub-Purpose": "investigation",
        "Hub-Justification": JUSTIFIED,
    }
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{hub}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ws_url(hub: str) -> str:
    return hub.replace("http://", "ws://") + "/graphql"


async def connected(ws: Any, token: str | None, purpose: str = "investigation") -> dict[str, Any]:
    payload = {
        "Hub-Purpose": purpose,
        "Hub-Justification": JUSTIFIED,
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
    answer: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return answer


async def next_message(ws: Any, within: float = 5.0) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
    return message


async def test_an_arrest_reaches_the_investigators_subscription_once(
    hub: str, auth: AuthServices, own_eastvale: Partner
) -> None:
    token = await auth.token_for("investigator")
    [darren] = (await post(hub, token, SEARCH))["data"]["searchPersons"]["people"]
    watch = (await post(hub, token, WATCH, {"id": darren["id"]}))["data"]["watchPerson"]
    async with websockets.connect(ws_url(hub), subprotocols=["graphql-transport-ws"]) as ws:
        assert (await connected(ws, token))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
        await asyncio.sleep(3 * POLL_SECONDS)  # subscribed, and the feed's start read
        ref = next(s["recordId"] for s in darren["sources"] if s["partner"] == "eastvale")
        body = {
            "subjectRef": ref,
            "reason": "Wanted on warrant",
            "offences": [{"code": "W1", "wording": "FTA"}],
        }
        async with httpx.AsyncClient() as client:
            arrested = (await client.post(f"{own_eastvale.url}/_demo/arrests", json=body)).json()["ref"]

        message = await next_message(ws, within=POLL_SECONDS + 1.0)

        assert message["type"] == "next" and message["id"] == "1"
        event = message["payload"]["data"]["personEvents"]
        assert (
            event["kind"] == "CUSTODY" and event["partner"] == "eastvale" and event["watchId"] == watch["id"]
        )
        assert event["custody"] == {
            "id": arrested,
            "arrestReason": "Wanted on warrant",
            "outcome": "IN_CUSTODY",
        }
        with pytest.raises(TimeoutError):
            await next_message(ws, within=5 * POLL_SECONDS)  # told once


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "bad-token"])
async def test_a_connection_without_a_valid_token_is_refused(hub: str, token: str | None) -> None:
    async with websockets.connect(ws_url(hub), subprotocols=["graphql-transport-ws"]) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await connected(ws, token)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def errors_of(hub: str, auth: AuthServices, client: str, document: str) -> list[dict[str, Any]]:
    """The errors `document` gets when `client` subscribes with it on a connection its token opened."""
    token = await auth.token_for(client)
    async with websockets.connect(ws_url(hub), subprotocols=["graphql-transport-ws"]) as ws:
        assert (await connected(ws, token))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": document}}))
        message = await next_message(ws)
    errors: list[dict[str, Any]] = (
        message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    )
    return errors


async def test_only_subscriptions_run_over_the_socket(hub: str, auth: AuthServices) -> None:
    errors = await errors_of(hub, auth, "investigator", SEARCH)
    assert "only subscriptions run" in errors[0]["message"]


async def test_a_caller_without_watch_write_cannot_subscribe(hub: str, auth: AuthServices) -> None:
    errors = await errors_of(hub, auth, "frontline", EVENTS)
    assert errors[0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE", errors


async def test_a_revoked_clients_subscription_is_closed(hub: str, auth: AuthServices) -> None:
    client_id = f"mash-{id(auth)}"
    await auth.clients.add(client_id, "Test MASH", "child-protection-agency", ["person:read", "watch:write"])
    token = await auth.token_for(client_id)
    async with websockets.connect(ws_url(hub), subprotocols=["graphql-transport-ws"]) as ws:
        assert (await connected(ws, token, "safeguarding"))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}))
        await asyncio.sleep(0.3)

        await auth.clients.revoke(client_id)

        with pytest.raises(websockets.ConnectionClosed) as closed:
            await next_message(ws, within=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
