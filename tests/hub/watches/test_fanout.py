"""Several replicas: a change is detected by one (the feed's lease holder) and its notification reaches the
subscriptions of every replica, once, through Redis or through PostgreSQL's LISTEN/NOTIFY. The records
travel as their canonical types."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from connectors.canonical import CustodyOutcome, CustodyRecord, Offence
from connectors.contract import Capability
from hub.config.settings import HubSettings
from hub.db import create_engine
from hub.watches.broker import Broker, Notification, Subscription
from hub.watches.fanout import CHANNEL, PART, PostgresFanout, RedisFanout, Relay, _assemble, broker_for
from hub.watches.store import WatchRecord
from hub.watches.wire import from_wire, to_wire
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub, partner_configs, private_pg_database

REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
WATCH = "mutation($id: ID!) { watchPerson(personId: $id, kinds: [CUSTODY]) { id } }"


def test_a_record_and_a_watch_travel_as_themselves() -> None:
    record = CustodyRecord(
        "eastvale", "CU1", "EV/1", "Eastvale Central", datetime(2026, 12, 7, 1, 2), "Wanted on warrant",
        offences=(Offence("W1", "FTA"),), outcome=CustodyOutcome.IN_CUSTODY, risk_flags=("Self-harm",),
    )  # fmt: skip
    watch = WatchRecord(
        "w1", "investigator", "os", "Northshire Police", "police-force", (("eastvale", "EV1"),), ("custody",),
        "investigation", None, datetime(2026, 12, 7, tzinfo=UTC), datetime(2027, 1, 6, tzinfo=UTC), None,
    )  # fmt: skip

    assert from_wire(CustodyRecord, to_wire(record)) == record
    assert from_wire(WatchRecord, to_wire(watch)) == watch
    assert from_wire(date, "2026-12-07") == date(2026, 12, 7)


@pytest.fixture(params=["redis", "postgres"])
async def two_replicas(
    request: pytest.FixtureRequest,
    demo_urls: dict[str, str],
    southmoor: Partner,
    own_eastvale: Partner,
    tmp_path: Path,
) -> AsyncIterator[tuple[HubClient, HubClient]]:
    """Two hubs on one database, told of each other's notifications by Redis (on SQLite) or by their
    PostgreSQL database alone."""
    configs = partner_configs(demo_urls, southmoor.url, own_eastvale.url)
    if request.param == "redis":
        if not REDIS_URL:
            pytest.skip("HUB_TEST_REDIS_URL is not set")
        settings = HubSettings(watch_poll_seconds=0, redis_url=REDIS_URL)
        async for first in open_hub(configs, settings, tmp_path / "hub"):
            async for second in open_hub(configs, settings, tmp_path / "hub"):  # the same database
                yield first, second
        return
    with private_pg_database("hub_fanout") as database:
        settings = HubSettings(watch_poll_seconds=0, database_url=database, redis_url=None)
        assert settings.effective_watch_fanout == "postgres"
        async for first in open_hub(configs, settings, tmp_path / "first"):
            async for second in open_hub(configs, settings, tmp_path / "second"):
                for hub in (first, second):
                    await wait_for(lambda hub=hub: hub.app.state.broker.listening)
                yield first, second


async def test_a_change_detected_by_one_replica_reaches_a_subscriber_on_the_other_once(
    two_replicas: tuple[HubClient, HubClient], own_eastvale: Partner
) -> None:
    first, second = two_replicas
    found = await first.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    [darren] = found["data"]["searchPersons"]["people"]
    await first.query(WATCH, {"id": darren["id"]})
    await first.app.state.poller.poll_once()  # the first replica holds Eastvale's feed from now on
    ref = next(s["recordId"] for s in darren["sources"] if s["partner"] == "eastvale")
    body = {"subjectRef": ref, "reason": "Wanted on warrant", "offences": [{"code": "W1", "wording": "FTA"}]}
    async with httpx.AsyncClient() as client:
        assert (await client.post(f"{own_eastvale.url}/_demo/arrests", json=body)).status_code == 201
    await asyncio.sleep(0.3)  # the second replica's listener is subscribed

    async with second.app.state.broker.subscribe("investigator") as subscription:
        detected = await first.app.state.poller.poll_once()
        assert await second.app.state.poller.poll_once() == [], "detected once: by the lease holder"
        told = await asyncio.wait_for(subscription.queue.get(), timeout=5)
        await asyncio.sleep(0.3)

    [notification] = detected
    assert told.event_id == notification.event_id and told.record == notification.record
    assert subscription.queue.empty(), "delivered once"
    ready = (await second.client.get("/readyz")).json()
    assert ready["notifications"] == "ok", "it hears the other replicas"


@pytest.fixture
async def pg_engine() -> AsyncIterator[AsyncEngine]:
    if not PG_URL:
        pytest.skip("HUB_TEST_DATABASE_URL is not set")
    # LISTEN/NOTIFY touch no table: the shared test database is left as it is. The URL carries an option of
    # SQLAlchemy's dialect, which the listener must not pass to the server.
    url = make_url(PG_URL).update_query_dict({"prepared_statement_cache_size": "0"})
    engine = create_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        await engine.dispose()


def arrest(reason: str) -> Notification:
    record = CustodyRecord("eastvale", "CU1", "EV/1", "Eastvale Central", datetime(2026, 12, 7, 1, 2), reason)
    watch = WatchRecord(
        "w1", "investigator", "os", "Northshire Police", "police-force", (("eastvale", "EV1"),), ("custody",),
        "investigation", None, datetime(2026, 12, 7, tzinfo=UTC), datetime(2027, 1, 6, tzinfo=UTC), None,
    )  # fmt: skip
    now = datetime.now(UTC)
    return Notification(
        str(uuid.uuid4()), watch, Capability.CUSTODY, "eastvale", "Eastvale", "EV1", record, now
    )


async def wait_for(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not in time"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def listening(*relays: Relay) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(relay.listen(retry_seconds=0.05)) for relay in relays]
    try:
        await wait_for(lambda: all(relay.listening for relay in relays))
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for relay in relays:
            await relay.aclose()


async def received(subscription: Subscription, count: int) -> list[Notification]:
    got = [await asyncio.wait_for(subscription.queue.get(), timeout=10) for _ in range(count)]
    await asyncio.sleep(0.2)
    assert subscription.queue.empty(), "each once"
    return got


async def test_postgresql_tells_every_replica_once_even_past_the_size_of_one_notify(
    pg_engine: AsyncEngine,
) -> None:
    first, second = PostgresFanout(pg_engine), PostgresFanout(pg_engine)
    short, long = arrest("Wanted on warrant"), arrest("x" * 3 * PART)  # three NOTIFYs' worth
    many = [arrest(f"Arrest {i}") for i in range(30)]
    async with (
        listening(first, second),
        first.subscribe("investigator") as here,
        second.subscribe("investigator") as there,
    ):
        assert first.publish(short) == 1 and first.publish(long) == 1, "its own subscription told at once"
        for notification in many:
            first.publish(notification)

        assert await received(there, 32) == [short, long, *many], "in the order published"
        assert await received(here, 32) == [short, long, *many], "once: its own come back and are passed over"


async def test_a_replica_tells_its_own_subscriptions_when_the_channel_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = RedisFanout("redis://127.0.0.1:9/0", timeout=0.2)  # nothing answers there
    async with relay.subscribe("investigator") as here:
        notification = arrest("Wanted on warrant")
        assert relay.publish(notification) == 1
        await relay.flush()
    await relay.aclose()
    assert here.queue.get_nowait() == notification and not relay.listening
    assert "could not be sent to the other replicas" in caplog.text


async def test_a_message_not_understood_is_passed_over_and_the_listener_goes_on(
    pg_engine: AsyncEngine,
) -> None:
    first, second = PostgresFanout(pg_engine), PostgresFanout(pg_engine)
    async with listening(first, second), second.subscribe("investigator") as there:
        async with pg_engine.begin() as conn:
            for junk in ("no parts", "k 1/1 not json", 'k 1/1 {"kind": "unheard-of"}'):
                await conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": junk})
        notification = arrest("Wanted on warrant")
        first.publish(notification)
        assert await received(there, 1) == [notification]


async def test_a_lost_listening_connection_is_made_again(pg_engine: AsyncEngine) -> None:
    first, second = PostgresFanout(pg_engine), PostgresFanout(pg_engine)
    async with listening(first, second):
        lost = second.listener_pid
        async with pg_engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": lost})
        await wait_for(lambda: second.listener_pid not in (None, lost))

        async with second.subscribe("investigator") as there:
            notification = arrest("Wanted on warrant")
            first.publish(notification)
            assert await received(there, 1) == [notification]


def test_a_part_missed_drops_its_message_and_not_the_next() -> None:
    partial: dict[str, list[str]] = {}
    assert _assemble(partial, "a 1/2 {") is None
    assert _assemble(partial, "a 3/3 lost") is None, "part 2 never came"
    assert _assemble(partial, "b 1/1 {}") == "{}" and partial == {}
    assert _assemble(partial, "c 2/1 x") is None and _assemble(partial, "nospaces") is None
    assert _assemble(partial, "d 1/1 ") == "" and partial == {}


@pytest.mark.parametrize(
    ("settings", "broker"),
    [
        ({}, Broker),
        ({"redis_url": "redis://127.0.0.1:6379/0"}, RedisFanout),
        ({"database_url": "postgresql://127.0.0.1/hub"}, PostgresFanout),
        ({"database_url": "postgresql://127.0.0.1/hub", "redis_url": "redis://127.0.0.1/0"}, RedisFanout),
        ({"database_url": "postgres://127.0.0.1/hub"}, PostgresFanout),
        ({"database_url": "postgresql://127.0.0.1/hub", "watch_fanout": "local"}, Broker),
    ],
)
def test_the_fanout_is_redis_then_postgresql_then_none(settings: dict[str, str], broker: type) -> None:
    configured = HubSettings(**settings)
    engine = create_engine(configured.effective_database_url)
    assert type(broker_for(configured, engine)) is broker


@pytest.mark.parametrize(
    ("settings", "needs"),
    [({"watch_fanout": "redis"}, "HUB_REDIS_URL"), ({"watch_fanout": "postgres"}, "PostgreSQL")],
)
def test_a_fanout_without_its_channel_is_refused_at_start(settings: dict[str, str], needs: str) -> None:
    with pytest.raises(ValidationError, match=needs):
        HubSettings(**settings)


class _Stuck(Relay):
    """A channel that never answers a send."""

    async def _send(self, messages: list[str]) -> None:
        await asyncio.sleep(3600)

    async def _messages(self) -> AsyncGenerator[str, None]:
        await asyncio.sleep(3600)
        yield ""


async def test_a_channel_that_never_answers_holds_up_neither_the_replica_nor_its_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = _Stuck(timeout=0.2)
    async with relay.subscribe("investigator") as here:
        first, second = arrest("one"), arrest("two")
        assert relay.publish(first) == 1 and relay.publish(second) == 1, "told here at once"
        started = asyncio.get_running_loop().time()
        await relay.aclose()
    assert asyncio.get_running_loop().time() - started < 2
    assert [here.queue.get_nowait(), here.queue.get_nowait()] == [first, second]
    assert "could not be sent to the other replicas" in caplog.text


@pytest.mark.parametrize("channel", ["redis", "postgres"])
async def test_a_quiet_listener_checks_its_connection_and_keeps_listening(channel: str) -> None:
    if not (REDIS_URL if channel == "redis" else PG_URL):
        pytest.skip(f"no {channel} for tests here")
    engine = create_engine(PG_URL) if channel == "postgres" and PG_URL else None
    relays: list[Relay] = (
        [RedisFanout(REDIS_URL or "", check_seconds=0.05) for _ in range(2)]
        if engine is None
        else [PostgresFanout(engine, check_seconds=0.05) for _ in range(2)]
    )
    try:
        async with listening(*relays):
            await asyncio.sleep(0.5)  # several checks pass
            assert all(relay.listening for relay in relays)
            async with relays[1].subscribe("investigator") as there:
                notification = arrest("Wanted on warrant")
                relays[0].publish(notification)
                assert await received(there, 1) == [notification]
    finally:
        if engine is not None:
            await engine.dispose()
