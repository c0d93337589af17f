"""Notifications to every replica: a fired watch detected by one hub process reaches the subscriptions
connected to any other, through Redis pub/sub (HUB_REDIS_URL).

The replica that detects a change publishes its notification, as JSON, on one channel; every replica (the
detecting one too) listens on it and tells its own subscriptions. Without Redis, notifications stay in the
process that detected them (`Broker` alone). The records travel as the canonical types' fields
(`to_wire` / `from_wire`), read back into the same types.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from redis.asyncio import Redis

from connectors import canonical
from connectors.contract import Capability
from hub.watches.matching import Match
from hub.watches.poller import Broker, Notification
from hub.watches.store import WatchRecord
from hub.watches.wire import from_wire, to_wire

__all__ = ["CHANNEL", "RedisFanout"]

log = logging.getLogger(__name__)

CHANNEL = "hub:person-events"
#: The canonical record type of each kind, to read a record back.
_RECORD_TYPES: dict[Capability, type] = {
    Capability.PEOPLE: Match,
    Capability.MARKERS: canonical.WarningMarker,
    Capability.INTELLIGENCE: canonical.IntelligenceReport,
    Capability.CUSTODY: canonical.CustodyRecord,
    Capability.SAFEGUARDING: canonical.SafeguardingConcern,
}


def _encode(n: Notification) -> str:
    return json.dumps(
        {
            "eventId": n.event_id,
            "watch": to_wire(n.watch),
            "kind": n.kind.value,
            "partner": n.partner,
            "partnerTitle": n.partner_title,
            "personRecordId": n.person_record_id,
            "record": to_wire(n.record),
            "detectedAt": n.detected_at.isoformat(),
        }
    )


def _decode(text: str | bytes) -> Notification:
    data = json.loads(text)
    kind = Capability(data["kind"])
    return Notification(
        event_id=data["eventId"],
        watch=from_wire(WatchRecord, data["watch"]),
        kind=kind,
        partner=data["partner"],
        partner_title=data["partnerTitle"],
        person_record_id=data["personRecordId"],
        record=from_wire(_RECORD_TYPES[kind], data["record"]),
        detected_at=datetime.fromisoformat(data["detectedAt"]),
    )


class RedisFanout(Broker):
    """A `Broker` whose `publish` goes through Redis to every replica's subscriptions (`listen`)."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__()
        # No read timeout: a subscription waits on the connection for as long as nothing happens.
        self.redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout)
        self._sending: set[asyncio.Task[None]] = set()

    def publish(self, notification: Notification) -> int:
        # Told through Redis, also to this replica's own subscriptions (`listen`): each exactly once.
        task = asyncio.get_running_loop().create_task(self._send(_encode(notification)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return 0

    async def _send(self, message: str) -> None:
        try:
            await self.redis.publish(CHANNEL, message)
        except Exception:  # Redis is down: the event stays audited, and is lost to live subscribers only
            log.exception("a notification could not be published to the other replicas")

    async def listen(self, retry_seconds: float = 1.0) -> None:
        """Tell this replica's subscriptions what any replica publishes, until cancelled."""
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            super().publish(_decode(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("listening for other replicas' notifications failed; again in %gs", retry_seconds)
                await asyncio.sleep(retry_seconds)

    async def aclose(self) -> None:
        await self.redis.aclose()
