"""What a fired watch tells (`Notification`), and how it reaches the subscriptions of this hub process
(`Broker`: each subscriber's queue). `hub.watches.fanout` carries notifications to the other replicas'.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.contract import Capability
from hub.watches.store import WatchRecord

__all__ = ["Broker", "Notification", "Subscription"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notification:
    """One watch fired: what was recorded, by which partner, about whom."""

    event_id: str
    watch: WatchRecord
    kind: Capability
    partner: str
    partner_title: str
    person_record_id: str
    record: Any
    detected_at: datetime


@dataclass(eq=False)
class Subscription:
    """One subscriber's notifications (a client, optionally one of its watches), until it is closed."""

    client_id: str
    watch_id: str | None = None
    queue: asyncio.Queue[Notification] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def wants(self, notification: Notification) -> bool:
        return notification.watch.client_id == self.client_id and self.watch_id in (
            None,
            notification.watch.watch_id,
        )


class Broker:
    """Tells each subscription of this process the notifications for it (in process; one hub replica)."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    @contextlib.asynccontextmanager
    async def subscribe(self, client_id: str, watch_id: str | None = None) -> AsyncIterator[Subscription]:
        subscription = Subscription(client_id, watch_id)
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    def publish(self, notification: Notification) -> int:
        """Queue the notification for every subscription that wants it; how many did."""
        told = 0
        for subscription in list(self._subscriptions):
            if subscription.wants(notification):
                try:
                    subscription.queue.put_nowait(notification)
                    told += 1
                except asyncio.QueueFull:
                    log.warning(
                        "a subscription of %s is full: a notification was dropped", subscription.client_id
                    )
        return told
