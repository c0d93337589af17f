"""Notifications between replicas: how long a fired watch detected by one hub replica takes to reach a
subscription on another, through Redis pub/sub and through PostgreSQL's LISTEN/NOTIFY, and what each
costs the sending and the listening replica.

    python -m bench.fanout [--database-url postgresql://127.0.0.1:5432/test] [--redis-url redis://...]
                           [--notifications 500] [--rate 200] [--record-chars 400]

Two relays of each kind (`hub.watches.fanout`) run in this process, as two replicas would: the first
publishes `--notifications` custody notifications at `--rate` a second (each record's text
`--record-chars` long; past 7,000 a notification takes more than one NOTIFY), the second listens with a
subscription. Prints, per channel, publish-to-delivery latency p50/p99 and the CPU of this process per
notification (the sender's and the listener's together: time.process_time over the run, less an idle run's).
A channel whose server does not answer is skipped, and says so. Nothing is written to the database: LISTEN
and NOTIFY touch no table.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from statistics import median

from redis.exceptions import RedisError

from bench._report import percentile
from connectors.canonical import CustodyRecord
from connectors.contract import Capability
from hub.db import create_engine
from hub.watches.broker import Notification
from hub.watches.fanout import PostgresFanout, RedisFanout, Relay
from hub.watches.store import WatchRecord

__all__ = ["main"]


def _notification(reason: str) -> Notification:
    now = datetime.now(UTC)
    watch = WatchRecord(
        "w1", "investigator", "bench", "Northshire Police", "police-force", (("eastvale", "EV1"),),
        ("custody",), "investigation", None, now, now + timedelta(days=1), None,
    )  # fmt: skip
    record = CustodyRecord("eastvale", str(uuid.uuid4()), "EV/1", "Eastvale Central", now, reason)
    return Notification(
        str(uuid.uuid4()), watch, Capability.CUSTODY, "eastvale", "Eastvale", "EV1", record, now
    )


async def _ready(relay: Relay) -> None:
    """Until the listener is subscribed (TimeoutError if its server does not answer)."""
    if isinstance(relay, RedisFanout):
        await asyncio.wait_for(relay.redis.ping(), timeout=5)
    deadline = time.monotonic() + 10
    while not relay.listening:
        if time.monotonic() > deadline:
            raise TimeoutError("the listener did not connect")
        await asyncio.sleep(0.01)


async def measure(sender: Relay, listener: Relay, count: int, rate: float, chars: int) -> dict[str, float]:
    listening = asyncio.create_task(listener.listen(retry_seconds=0.1))
    try:
        await _ready(listener)
        sent: dict[str, float] = {}
        latencies: list[float] = []
        async with listener.subscribe("investigator") as subscription:

            async def receive() -> None:  # timed as each arrives, while the rest are published
                while len(latencies) < count:
                    told = await subscription.queue.get()
                    latencies.append(time.perf_counter() - sent.pop(told.event_id))

            receiving = asyncio.create_task(receive())
            cpu = time.process_time()
            for _ in range(count):
                notification = _notification("x" * chars)
                sent[notification.event_id] = time.perf_counter()
                sender.publish(notification)
                await asyncio.sleep(1 / rate)
            await asyncio.wait_for(receiving, timeout=30)
            cpu = time.process_time() - cpu
        # The same run with no channel: what publishing and sleeping alone cost, taken off.
        idle = time.process_time()
        for _ in range(count):
            _notification("x" * chars)
            await asyncio.sleep(1 / rate)
        idle = time.process_time() - idle
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await sender.aclose()
        await listener.aclose()
    return {
        "p50_ms": median(latencies) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0.0) * 1000,
        "cpu_us_per_notification": max(0.0, cpu - idle) / count * 1e6,
    }


async def run(args: argparse.Namespace) -> None:
    if args.redis_url:
        try:
            figures = await measure(
                RedisFanout(args.redis_url, 1.0),
                RedisFanout(args.redis_url, 1.0),
                args.notifications,
                args.rate,
                args.record_chars,
            )
            _print("redis", figures)
        except (OSError, TimeoutError, RedisError) as exc:
            print(f"redis: skipped, {args.redis_url} did not answer ({exc})")
    if args.database_url:
        engine = create_engine(args.database_url)
        try:
            figures = await measure(
                PostgresFanout(engine),
                PostgresFanout(engine),
                args.notifications,
                args.rate,
                args.record_chars,
            )
            _print("postgres", figures)
        except (OSError, TimeoutError) as exc:
            print(f"postgres: skipped, {args.database_url} did not answer ({exc})")
        finally:
            await engine.dispose()


def _print(channel: str, figures: dict[str, float]) -> None:
    print(
        f"{channel}: publish to delivery on the other replica p50 {figures['p50_ms']:.2f} ms, "
        f"p99 {figures['p99_ms']:.2f} ms; CPU per notification (sender and listener) "
        f"{figures['cpu_us_per_notification']:.0f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--notifications", type=int, default=500)
    parser.add_argument("--rate", type=float, default=200.0, help="notifications a second")
    parser.add_argument("--record-chars", type=int, default=400, help="length of each record's text")
    args = parser.parse_args()
    print(
        f"{args.notifications} notifications at {args.rate:g}/s, records of {args.record_chars} characters:"
    )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
