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
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors import canonical
from connectors.contract import Capability
from hub.config.settings import HubSettings
from hub.watches.broker import Broker, Notification
from hub.watches.matching import Match
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


def _encode(n: Notification, origin: str) -> str:
    return json.dumps(
        {
            "origin": origin,
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


def _decode(text: str) -> tuple[str, Notification]:
    """The replica that sent a message, and its notification (`ValueError`, `KeyError`, `TypeError`: not
    one)."""
    data = json.loads(text)
    kind = Capability(data["kind"])
    notification = Notification(
        event_id=data["eventId"],
        watch=from_wire(WatchRecord, data["watch"]),
        kind=kind,
        partner=data["partner"],
        partner_title=data["partnerTitle"],
        person_record_id=data["personRecordId"],
        record=from_wire(_RECORD_TYPES[kind], data["record"]),
        detected_at=datetime.fromisoformat(data["detectedAt"]),
    )
    return str(data["origin"]), notification


#: Most notifications sent to the channel at once (one transaction, or one pipeline).
BATCH = 100
#: Most notifications waiting for the channel; past it (the channel far behind), new ones are dropped.
OUTBOX = 10_000


class Relay(Broker, abc.ABC):
    """A `Broker` that also sends what it publishes through a channel shared by every replica, and whose
    `listen` tells this replica's subscriptions what the others send.

    This replica's own subscriptions are told at once, whatever the channel's state; a message that comes
    back from the channel is recognised by its origin and passed over. Notifications go to the channel in
    the order they were published: one sender takes them from a queue (at most `OUTBOX` waiting), in batches
    of up to `BATCH`, each sent within `timeout` seconds or given up (logged).
    """

    def __init__(self, timeout: float = 10.0, check_seconds: float = 30.0) -> None:
        super().__init__()
        self.timeout, self.check_seconds = timeout, check_seconds
        self.origin = uuid.uuid4().hex
        #: Whether this replica is listening to the channel now (`/readyz` shows it).
        self.listening = False
        self._outbox: asyncio.Queue[str] | None = None
        self._sender: asyncio.Task[None] | None = None

    def publish(self, notification: Notification) -> int:
        if self._sender is None or self._sender.done():  # made in the loop that publishes
            self._outbox = asyncio.Queue(maxsize=OUTBOX)
            self._sender = asyncio.get_running_loop().create_task(self._send_all(self._outbox))
        assert self._outbox is not None
        try:
            self._outbox.put_nowait(_encode(notification, self.origin))
        except asyncio.QueueFull:
            log.warning(
                "the channel to the other replicas is behind by %d notifications: one was dropped", OUTBOX
            )
        return super().publish(notification)

    async def _send_all(self, outbox: asyncio.Queue[str]) -> None:
        while True:
            batch = [await outbox.get()]
            while len(batch) < BATCH and not outbox.empty():
                batch.append(outbox.get_nowait())
            try:
                async with asyncio.timeout(self.timeout):
                    await self._send(batch)
            except Exception:  # the channel is down: the events stay audited, lost to other replicas' sockets
                log.exception("%d notifications could not be sent to the other replicas", len(batch))
            finally:
                for _ in batch:
                    outbox.task_done()

    async def listen(self, retry_seconds: float = 1.0) -> None:
        """Tell this replica's subscriptions what the other replicas publish, until cancelled; a lost
        connection is made again after `retry_seconds`."""
        while True:
            try:
                async with contextlib.aclosing(self._messages()) as messages:
                    async for message in messages:
                        self._received(message)
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:
                self.listening = False
                log.warning(
                    "listening for other replicas' notifications failed (%s); again in %gs",
                    exc,
                    retry_seconds,
                )
            await asyncio.sleep(retry_seconds)

    def _received(self, message: str) -> None:
        try:
            origin, notification = _decode(message)
        except (ValueError, KeyError, TypeError) as exc:  # not a notification, or a newer replica's kind
            log.warning("a message on the notification channel was not understood, and passed over: %s", exc)
            return
        if origin != self.origin:
            super().publish(notification)

    async def flush(self) -> None:
        """Wait until every notification published so far has been sent, or has failed to be (each batch
        within `timeout`), or the sender has stopped."""
        sender, outbox = self._sender, self._outbox
        if sender is None or outbox is None or sender.done():
            return
        joined = asyncio.ensure_future(outbox.join())
        try:
            await asyncio.wait({joined, sender}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            joined.cancel()

    async def aclose(self) -> None:
        """Send what is waiting (for at most twice `timeout`: the batch being sent, and one more), then stop
        the sender."""
        try:
            async with asyncio.timeout(self.timeout * 2):
                await self.flush()
        except TimeoutError:
            log.warning("notifications still waiting for the other replicas were dropped at shutdown")
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)

    @abc.abstractmethod
    async def _send(self, messages: list[str]) -> None:
        """Send these messages to the channel, in order."""

    @abc.abstractmethod
    def _messages(self) -> AsyncGenerator[str, None]:
        """The channel's messages, as they come, until the connection fails (an exception)."""


class RedisFanout(Relay):
    """Notifications through Redis pub/sub."""

    def __init__(self, url: str, timeout: float = 10.0, check_seconds: float = 30.0) -> None:
        super().__init__(timeout, check_seconds)
        # No read timeout: a subscription waits on the connection for as long as nothing happens, and is
        # checked with a PING every `check_seconds` of quiet.
        self.redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout)

    async def _send(self, messages: list[str]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(CHANNEL, message)
            await pipe.execute()

    async def _messages(self) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        async with self.redis.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            self.listening = True
            pinged: float | None = None  # when a PING went unanswered so far
            while True:
                message = await pubsub.get_message(
                    timeout=self.check_seconds if pinged is None else self.timeout
                )
                if message is None:  # quiet: is the connection still there?
                    if pinged is not None and loop.time() - pinged >= self.timeout:
                        raise ConnectionError("Redis did not answer a PING on the subscription")
                    if pinged is None:
                        await pubsub.ping()
                        pinged = loop.time()
                    continue
                pinged = None
                if message.get("type") == "message":
                    data = message["data"]
                    yield data.decode() if isinstance(data, bytes) else str(data)

    async def aclose(self) -> None:
        await super().aclose()
        await self.redis.aclose()


#: Characters of a notification per NOTIFY: PostgreSQL takes payloads under 8,000 bytes, and a notification
#: (ASCII JSON) may be longer (an intelligence report's text): it is sent in parts.
PART = 7000
#: What SQLAlchemy's asyncpg dialect takes in a URL's query for itself, not for `asyncpg.connect`.
_DIALECT_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func", "async_creator_fn")


class PostgresFanout(Relay):
    """Notifications through PostgreSQL's LISTEN/NOTIFY, on the hub's own database: no other service.

    Each batch of notifications is sent as NOTIFYs in one transaction, which PostgreSQL delivers together and
    in order once committed; a notification is one or more of them ("<message id> <part>/<parts> <text>"),
    put together again by each listener. Each replica listens on a connection of its own (asyncpg, opened
    with the engine's own connection arguments), checked every `check_seconds` while nothing comes.
    """

    def __init__(self, engine: AsyncEngine, timeout: float = 10.0, check_seconds: float = 30.0) -> None:
        super().__init__(timeout, check_seconds)
        if engine.dialect.driver != "asyncpg":
            raise ValueError(
                "HUB_WATCH_FANOUT=postgres listens through asyncpg: give HUB_DATABASE_URL as "
                f"postgresql+asyncpg://... (it names the {engine.dialect.driver} driver)"
            )
        self.engine = engine
        _, arguments = engine.dialect.create_connect_args(engine.url)
        # The connection's own timeout is this relay's (a URL's ?timeout= would be given twice).
        self._connect_args = {k: v for k, v in arguments.items() if k not in (*_DIALECT_ONLY, "timeout")}
        #: The backend process id of this replica's listening connection (None while there is none).
        self.listener_pid: int | None = None

    async def _send(self, messages: list[str]) -> None:
        notify = text("SELECT pg_notify(:channel, :payload)")
        payloads = []
        for message in messages:
            key = uuid.uuid4().hex[:12]
            parts = [message[i : i + PART] for i in range(0, len(message), PART)] or [""]
            payloads += [f"{key} {n}/{len(parts)} {part}" for n, part in enumerate(parts, 1)]
        async with self.engine.begin() as conn:
            for payload in payloads:
                await conn.execute(notify, {"channel": CHANNEL, "payload": payload})

    async def _messages(self) -> AsyncGenerator[str, None]:
        import asyncpg  # the postgres extra: only a hub on PostgreSQL needs it

        arrived: asyncio.Queue[str | None] = asyncio.Queue()
        conn = await asyncpg.connect(**self._connect_args, timeout=self.timeout)
        try:
            conn.add_termination_listener(lambda _: arrived.put_nowait(None))
            await conn.add_listener(CHANNEL, lambda _c, _pid, _channel, payload: arrived.put_nowait(payload))
            self.listener_pid = conn.get_server_pid()
            self.listening = True
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


_PARTS = re.compile(r"(?P<key>\S+) (?P<number>[1-9][0-9]*)/(?P<count>[1-9][0-9]*) (?P<text>.*)", re.DOTALL)


def _assemble(partial: dict[str, list[str]], payload: str) -> str | None:
    """Add one NOTIFY's part to the message it belongs to; the whole message once its last part is in. A
    payload not in the parts' form, or a part out of turn (one was missed during a reconnection), is dropped
    (with what had come of its message)."""
    parsed = _PARTS.fullmatch(payload)
    if parsed is None:
        log.warning("a NOTIFY on the notification channel was not understood, and passed over")
        return None
    key, number, count = parsed["key"], int(parsed["number"]), int(parsed["count"])
    parts = partial.setdefault(key, [])
    if number != len(parts) + 1 or number > count:
        partial.pop(key, None)
        log.warning("a notification from another replica arrived incomplete and was dropped")
        return None
    parts.append(parsed["text"])
    if number < count:
        if len(partial) > 100:  # messages whose last parts never came: forget the oldest
            partial.pop(next(iter(partial)))
        return None
    del partial[key]
    return "".join(parts)


def broker_for(settings: HubSettings, engine: AsyncEngine) -> Broker:
    """The broker HUB_WATCH_FANOUT asks for (`HubSettings.effective_watch_fanout`)."""
    match settings.effective_watch_fanout:
        case "redis":
            assert settings.redis_url is not None  # checked with the settings
            return RedisFanout(settings.redis_url)
        case "postgres":
            try:
                return PostgresFanout(engine)
            except ValueError as exc:  # another driver than asyncpg
                if settings.watch_fanout != "auto":
                    raise  # asked for by name: the hub does not start
                log.warning(
                    "notifications reach this replica's subscriptions only (no HUB_REDIS_URL): %s", exc
                )
                return Broker()
        case _:
            return Broker()
