"""Webhooks: a fired watch is POSTed to the agency's own system, signed as Standard Webhooks specifies, tried
again with backoff when the receiver fails, and dead-lettered (and replayable) when it never answers. The
receivers are real servers on loopback."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.demo.serve import ServerThread
from hub.config.settings import HubSettings
from hub.watches.webhooks import WebhookSender, sign
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs

WATCH = "mutation($id: ID!) { watchPerson(personId: $id, kinds: [CUSTODY]) { id } }"


class Receiver:
    """An agency's endpoint: answers each POST with the next status of `script` (the last one from then on),
    or never answers (None); records what it received."""

    def __init__(self, script: list[int | None]) -> None:
        self.script, self.received = script, list[dict[str, Any]]()

        async def hook(request: Request) -> Response:
            self.received.append({"headers": dict(request.headers), "body": await request.body()})
            status = self.script[min(len(self.received), len(self.script)) - 1]
            if status is None:
                await asyncio.sleep(3600)
            return Response(status_code=status)

        self.server = ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])).start()
        self.url = f"{self.server.url}/hook"


@pytest.fixture
async def hub(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner
) -> AsyncIterator[HubClient]:
    settings = HubSettings(
        watch_poll_seconds=0, webhook_timeout_seconds=0.5, webhook_retry_seconds=0, webhook_max_attempts=3
    )
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, own_eastvale.url), settings):
        yield client


async def fired(hub: HubClient, eastvale: Partner, receiver: Receiver) -> tuple[str, str]:
    """The investigator's webhook points at `receiver`, it watches Kilbride, Eastvale arrests him and the poll
    finds it: the secret and the delivery's id."""
    secret = await hub.app.state.webhooks.set_endpoint("investigator", receiver.url)
    found = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    [darren] = found["data"]["searchPersons"]["people"]
    await hub.query(WATCH, {"id": darren["id"]})
    await hub.app.state.poller.poll_once()
    ref = next(s["recordId"] for s in darren["sources"] if s["partner"] == "eastvale")
    body = {"subjectRef": ref, "reason": "Wanted on warrant", "offences": [{"code": "W1", "wording": "FTA"}]}
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{eastvale.url}/_demo/arrests", json=body)).status_code == 201
    [notification] = await hub.app.state.poller.poll_once()
    return secret, notification.event_id


def verify(secret: str, message: dict[str, Any]) -> bool:
    headers, body = message["headers"], message["body"]
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return headers["webhook-signature"] == f"v1,{expected}"


async def test_a_receiver_failing_twice_gets_the_event_on_the_third_try_signed(
    hub: HubClient, own_eastvale: Partner
) -> None:
    receiver = Receiver([500, 500, 200])
    sender: WebhookSender = hub.app.state.webhook_sender
    secret, event_id = await fired(hub, own_eastvale, receiver)

    rounds = [await sender.send_due() for _ in range(3)]

    assert rounds == [[], [], [event_id]]
    assert len(receiver.received) == 3
    assert {m["headers"]["webhook-id"] for m in receiver.received} == {event_id}, (
        "one id: the receiver's idempotency key"
    )
    assert all(verify(secret, m) for m in receiver.received)
    payload = json.loads(receiver.received[-1]["body"])
    assert payload["type"] == "person.event" and payload["data"]["kind"] == "custody"
    assert payload["data"]["record"]["arrest_reason"] == "Wanted on warrant"
    assert (await hub.app.state.webhooks.get(event_id)).status == "delivered"
    receiver.server.stop()


async def test_a_receiver_that_never_answers_ends_in_the_dead_letters_and_can_be_replayed(
    hub: HubClient, own_eastvale: Partner
) -> None:
    receiver = Receiver([None])
    webhooks, sender = hub.app.state.webhooks, hub.app.state.webhook_sender
    _, event_id = await fired(hub, own_eastvale, receiver)

    for _ in range(3):
        assert await sender.send_due() == []

    [dead] = await webhooks.dead("investigator")
    assert dead.delivery_id == event_id and dead.attempts == 3 and "no answer" in (dead.last_error or "")
    assert await sender.send_due() == [], "a dead letter is not tried again by itself"
    receiver.script = [200]
    assert await webhooks.replay(event_id) is True
    assert await sender.send_due() == [event_id]
    assert await webhooks.dead("investigator") == []
    receiver.server.stop()


def test_the_signature_is_standard_webhooks() -> None:
    # The example of the Standard Webhooks specification (its reference libraries' own test vector).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
