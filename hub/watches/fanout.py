"""Notifications to every replica: a fired watch detected by one hub process reaches the subscriptions
connected to any other, through Redis pub/sub (`RedisFanout`, on HUB_REDIS_URL) or PostgreSQL's
LISTEN/NOTIFY on the hub's own database (`PostgresFanout`); `broker_for` picks one (HUB_WATCH_FANOUT).

The replica that detects a change publishes its notification, as JSON, on one channel; every replica (the
detecting one too) listens on it and tells its own subscriptions, each notification once. With neither,
notifications stay in the process that detected them (`Broker` alone). The records travel as the canonical
types' fields (`to_wire` / `from_wire`), read back into the same types.

What a replica's listener misses while its connection is down (a restart of Redis or PostgreSQL) is lost
to that replica's live subscribers only: every firing is in the audit trail, and webhooks, whose deliveries
are in the database, are not affected.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors import canonical
from connectors.contract import Capability
from hub.config.settings import HubSettings
from hub.watches.matching import Match
from hub.watches.poller import Broker, Notification
from hub.watches.store import WatchRecord
from hub.watches.wire import from_wire, to_wire

__all__ = ["CHANNEL", "PostgresFanout", "RedisFanout", "Relay", "broker_for"]

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


class Relay(Broker, abc.ABC):
    """A `Broker` whose `publish` goes through a channel shared by every replica, and whose `listen` tells
    this replica's subscriptions what any replica publishes."""

    def __init__(self) -> None:
        super().__init__()
        self._sending: set[asyncio.Task[None]] = set()

    def publish(self, notification: Notification) -> int:
        # Told through the channel, also to this replica's own subscriptions (`listen`): each exactly once.
        task = asyncio.get_running_loop().create_task(self._published(_encode(notification)))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)
        return 0

    async def _published(self, message: str) -> None:
        try:
            await self._send(message)
        except (
            Exception
        ):  # the channel is down: the event stays audited, and is lost to live subscribers only
            log.exception("a notification could not be published to the other replicas")

    async def listen(self, retry_seconds: float = 1.0) -> None:
        """Tell this replica's subscriptions what any replica publishes, until cancelled; a lost connection
        is made again after `retry_seconds`."""
        while True:
            try:
                async for message in self._messages():
                    super().publish(_decode(message))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning(
                    "listening for other replicas' notifications failed (%s); again in %gs",
                    exc,
                    retry_seconds,
                )
            await asyncio.sleep(retry_seconds)

    async def flush(self) -> None:
        """Wait until every notification published so far has been sent."""
        await asyncio.gather(*self._sending, return_exceptions=True)

    @abc.abstractmethod
    async def _send(self, message: str) -> None: ...

    @abc.abstractmethod
    def _messages(self) -> AsyncIterator[str]:
        """The channel's messages, as they come, until the connection fails (an exception)."""

    @abc.abstractmethod
    async def aclose(self) -> None: ...


class RedisFanout(Relay):
    """Notifications through Redis pub/sub."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__()
        # No read timeout: a subscription waits on the connection for as long as nothing happens.
        self.redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout)

    async def _send(self, message: str) -> None:
        await self.redis.publish(CHANNEL, message)

    async def _messages(self) -> AsyncIterator[str]:
        async with self.redis.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)

    async def aclose(self) -> None:
        await self.redis.aclose()


#: Characters of a notification per NOTIFY: PostgreSQL takes payloads under 8,000 bytes, and a notification
#: (ASCII JSON) may be longer (an intelligence report's text): it is sent in parts.
PART = 7000


class PostgresFanout(Relay):
    """Notifications through PostgreSQL's LISTEN/NOTIFY, on the hub's own database: no other service.

    A notification is sent as one or more NOTIFYs ("<message id> <part>/<parts> <text>") in one transaction,
    which PostgreSQL delivers together, in order, once committed; each listener puts the parts together.
    Each replica listens on a connection of its own, checked every `check_seconds` while nothing comes.
    """

    def __init__(self, engine: AsyncEngine, timeout: float, check_seconds: float = 30.0) -> None:
        super().__init__()
        self.engine, self.timeout, self.check_seconds = engine, timeout, check_seconds
        self.dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        #: The backend process id of this replica's listening connection (None while there is none).
        self.listener_pid: int | None = None

    async def _send(self, message: str) -> None:
        key = uuid.uuid4().hex[:12]
        parts = [message[i : i + PART] for i in range(0, len(message), PART)] or [""]
        notify = text("SELECT pg_notify(:channel, :payload)")
        async with self.engine.begin() as conn:
            for number, part in enumerate(parts, 1):
                await conn.execute(
                    notify, {"channel": CHANNEL, "payload": f"{key} {number}/{len(parts)} {part}"}
                )

    async def _messages(self) -> AsyncIterator[str]:
        import asyncpg  # the postgres extra: only a hub on PostgreSQL needs it

        arrived: asyncio.Queue[str | None] = asyncio.Queue()
        conn = await asyncpg.connect(self.dsn, timeout=self.timeout)
        try:
            conn.add_termination_listener(lambda _: arrived.put_nowait(None))
            await conn.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: arrived.put_nowait(payload))
            self.listener_pid = conn.get_server_pid()
            partial: dict[str, list[str]] = {}
            while True:
                try:
                    payload = await asyncio.wait_for(arrived.get(), timeout=self.check_seconds)
                except TimeoutError:  # quiet: is the connection still there?
                    await conn.fetchval("SELECT 1", timeout=self.timeout)
                    continue
                if payload is None:
                    raise ConnectionError("the listening connection to PostgreSQL was closed")
                whole = _assemble(partial, payload)
                if whole is not None:
                    yield whole
        finally:
            self.listener_pid = None
            if not conn.is_closed():
                conn.terminate()

    async def aclose(self) -> None:
        await self.flush()


def _assemble(partial: dict[str, list[str]], payload: str) -> str | None:
    """Add one NOTIFY's part to the message it belongs to; the whole message once its last part is in."""
    key, numbering, part = payload.split(" ", 2) if payload.count(" ") >= 2 else (payload, "1/1", "")
    number, _, count = numbering.partition("/")
    parts = partial.setdefault(key, [])
    if int(number) != len(parts) + 1:  # a part missed (a reconnection in between): the message is lost
        partial.pop(key, None)
        log.warning("a notification from another replica arrived incomplete and was dropped")
        return None
    parts.append(part)
    if len(parts) < int(count):
        return None
    del partial[key]
    return "".join(parts)


def broker_for(settings: HubSettings, engine: AsyncEngine) -> Broker:
    """The broker HUB_WATCH_FANOUT asks for (`HubSettings.effective_watch_fanout`)."""
    match settings.effective_watch_fanout:
        case "redis":
            assert settings.redis_url is not None  # checked with the settings
            return RedisFanout(settings.redis_url, settings.redis_timeout_seconds)
        case "postgres":
            return PostgresFanout(engine, settings.redis_timeout_seconds * 10)
        case _:
            return Broker()
