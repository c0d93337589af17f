"""Webhooks: fired watches told to an agency's own system, signed, retried, and kept when they cannot be.

A client may have one webhook endpoint (`hub webhooks set CLIENT --url URL`, which prints its secret once).
Every notification of its watches is then also queued for delivery (table `webhook_delivery`) and POSTed as
JSON, signed as Standard Webhooks specifies:

    webhook-id:        the event's id (the same on every attempt: the receiver's idempotency key)
    webhook-timestamp: seconds since the epoch, when this attempt was signed
    webhook-signature: v1,<base64 of HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>

A 2xx answer delivers it. Anything else (an error status, no answer within HUB_WEBHOOK_TIMEOUT_SECONDS, a
refused connection) is tried again after an exponential backoff (HUB_WEBHOOK_RETRY_SECONDS, doubling), up to
HUB_WEBHOOK_MAX_ATTEMPTS attempts; then it is dead-lettered, listed by `hub webhooks dead-letters` and sent
again by `hub webhooks replay ID`. Deliveries live in the hub's database: a restart loses none.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.db import insert_new
from hub.watches.store import aware as _aware
from hub.watches.tables import webhook_delivery, webhook_endpoint
from hub.watches.wire import to_wire

__all__ = [
    "Delivery",
    "WebhookSender",
    "Webhooks",
    "event_payload",
    "sign",
]

log = logging.getLogger(__name__)


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header of Standard Webhooks for this body."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def event_payload(
    event_id: str, watch_id: str, person_id: str, kind: str, partner: str, record: Any, at: datetime
) -> str:
    """The JSON body of one fired watch, as its webhook carries it."""
    return json.dumps(
        {
            "type": "person.event",
            "timestamp": at.isoformat(),
            "data": {
                "eventId": event_id,
                "watchId": watch_id,
                "personId": person_id,
                "kind": kind,
                "partner": partner,
                "record": to_wire(record),
            },
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    client_id: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, row: Any) -> Delivery:
        return cls(
            delivery_id=row.delivery_id,
            client_id=row.client_id,
            payload=row.payload,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=_aware(row.next_attempt_at),
            last_error=row.last_error,
            created_at=_aware(row.created_at),
            delivered_at=_aware(row.delivered_at) if row.delivered_at is not None else None,
        )


class Webhooks:
    """Endpoints and deliveries in the hub's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def set_endpoint(self, client_id: str, url: str) -> str:
        """Point the client's webhook at `url` with a new secret, returned (shown once)."""
        secret = new_secret()
        async with self.engine.begin() as conn:
            await conn.execute(webhook_endpoint.delete().where(webhook_endpoint.c.client_id == client_id))
            await conn.execute(
                webhook_endpoint.insert().values(
                    client_id=client_id, url=url, secret=secret, created_at=datetime.now(UTC)
                )
            )
        return secret

    async def endpoint(self, client_id: str) -> tuple[str, str] | None:
        """(url, secret) of the client's webhook, if it has one."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(webhook_endpoint).where(webhook_endpoint.c.client_id == client_id))
            ).first()
        return (row.url, row.secret) if row is not None else None

    async def enqueue(self, delivery_id: str, client_id: str, payload: str) -> None:
        """Queue a delivery; one already queued under this id (the same event, a page read again) stays as
        it is."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            await conn.execute(
                insert_new(conn.dialect.name, webhook_delivery).values(
                    delivery_id=delivery_id,
                    client_id=client_id,
                    payload=payload,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    last_error=None,
                    created_at=now,
                    delivered_at=None,
                )
            )

    async def due(self, limit: int = 100, claim_seconds: float = 60.0) -> list[Delivery]:
        """Deliveries due now, each claimed for `claim_seconds` (no other sender takes it meanwhile)."""
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(webhook_delivery)
                    .where(
                        webhook_delivery.c.status == "pending",
                        webhook_delivery.c.next_attempt_at <= datetime.now(UTC),
                    )
                    .order_by(webhook_delivery.c.next_attempt_at)
                    .limit(limit)
                )
            ).all()
        claimed = []
        until = datetime.now(UTC) + timedelta(seconds=claim_seconds)
        for delivery in (Delivery.of(r) for r in rows):
            async with self.engine.begin() as conn:
                taken = await conn.execute(
                    update(webhook_delivery)
                    .where(
                        webhook_delivery.c.delivery_id == delivery.delivery_id,
                        webhook_delivery.c.status == "pending",
                        webhook_delivery.c.next_attempt_at == delivery.next_attempt_at,
                    )
                    .values(next_attempt_at=until)
                )
            if taken.rowcount:
                claimed.append(delivery)
        return claimed

    async def record(self, delivery_id: str, **values: Any) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(webhook_delivery).where(webhook_delivery.c.delivery_id == delivery_id).values(**values)
            )

    async def get(self, delivery_id: str) -> Delivery | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(webhook_delivery).where(webhook_delivery.c.delivery_id == delivery_id)
                )
            ).first()
        return Delivery.of(row) if row is not None else None

    async def dead(self, client_id: str | None = None) -> list[Delivery]:
        query = select(webhook_delivery).where(webhook_delivery.c.status == "dead")
        if client_id is not None:
            query = query.where(webhook_delivery.c.client_id == client_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(webhook_delivery.c.created_at))).all()
        return [Delivery.of(r) for r in rows]

    async def replay(self, delivery_id: str) -> bool:
        """Send a dead-lettered delivery again, from its first attempt; False if there is no such one."""
        async with self.engine.begin() as conn:
            moved = await conn.execute(
                update(webhook_delivery)
                .where(webhook_delivery.c.delivery_id == delivery_id, webhook_delivery.c.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=datetime.now(UTC), last_error=None)
            )
        return bool(moved.rowcount)


class WebhookSender:
    """Sends the due deliveries, one attempt each per round, at once (see the module docstring)."""

    def __init__(self, webhooks: Webhooks, timeout: float, retry_seconds: float, max_attempts: int) -> None:
        self.webhooks, self.timeout = webhooks, timeout
        self.retry_seconds, self.max_attempts = retry_seconds, max_attempts

    async def send_due(self) -> Sequence[str]:
        """One round: every due delivery attempted once; the ids delivered."""
        due = await self.webhooks.due()
        if not due:
            return []
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            results = await asyncio.gather(*(self._attempt(client, d) for d in due))
        return [d.delivery_id for d, ok in zip(due, results, strict=True) if ok]

    async def run(self, every: float) -> None:
        while True:
            try:
                await self.send_due()
            except Exception:  # the database or anything else: try again next round
                log.exception("webhook round failed")
            await asyncio.sleep(every)

    async def _attempt(self, client: httpx.AsyncClient, delivery: Delivery) -> bool:
        endpoint = await self.webhooks.endpoint(delivery.client_id)
        attempts = delivery.attempts + 1
        error: str | None
        if endpoint is None:
            error = "the client has no webhook endpoint any more"
        else:
            url, secret = endpoint
            body = delivery.payload.encode()
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "webhook-id": delivery.delivery_id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(secret, delivery.delivery_id, timestamp, body),
            }
            try:
                async with asyncio.timeout(self.timeout):
                    response = await client.post(url, content=body, headers=headers)
                error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
            except (TimeoutError, httpx.HTTPError) as exc:
                error = (
                    f"no answer within {self.timeout:g}s"
                    if isinstance(exc, TimeoutError | httpx.TimeoutException)
                    else type(exc).__name__
                )
        now = datetime.now(UTC)
        if error is None:
            await self.webhooks.record(
                delivery.delivery_id, status="delivered", attempts=attempts, delivered_at=now, last_error=None
            )
            return True
        if attempts >= self.max_attempts:
            await self.webhooks.record(
                delivery.delivery_id, status="dead", attempts=attempts, last_error=error
            )
            log.warning(
                "webhook %s to %s dead-lettered after %d attempts: %s",
                delivery.delivery_id,
                delivery.client_id,
                attempts,
                error,
            )
        else:
            backoff = self.retry_seconds * 2 ** (attempts - 1)
            await self.webhooks.record(
                delivery.delivery_id,
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + timedelta(seconds=backoff),
            )
        return False
