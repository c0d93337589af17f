"""Change detection: read each partner's change feed, match what is new to the watches, and tell the watchers.

Every `poll_interval` seconds of its own the poller asks each partner offering `changes` what it recorded
since its cursor (kept in the hub's database, so a restart loses nothing and replays nothing), through the
partner's guard (breaker, timeout, retries), as any lookup. A change about a person some live watch names
(by the partner's record id, among the watch's source records), of a kind the watch is for, fires it:

1. the watcher's rights are read now, not when the watch was made: its client's current scopes, capped by
   the sharing policy for its kind of organisation, and the record rules (a revoked client is told nothing;
   a child-protection agency is never told of custody or intelligence);
2. the record itself is fetched from the partner;
3. the firing is written to the audit trail (outcome `watch-fired`, the watcher as client, the watch's
   purpose, the record as a disclosure, so that `accessLog` on the person shows it) before anything is
   told: if the audit trail cannot be written, nothing is told and the cursor stays, to try again;
4. the notification goes to the watcher's subscriptions (`hub.watches.broker`).

A new people record in a partner's feed is first matched to the watches by entity resolution
(`hub.watches.matching`): a match tells the watches for PEOPLE of it (audited alike), and adds the record to
the watch's person, so that the rest of the page about it (the arrest that made it) fires the watch too.

A partner's cursor moves on only once its page has been handled. A new partner starts from now: history is
never replayed to watches made after it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.canonical import PersonRecord
from connectors.contract import Capability, Change, ChangePage
from hub.access.policy import SharingPolicy, satisfies
from hub.audit.events import AuditEvent, Disclosure
from hub.audit.store import AuditStore
from hub.auth.clients import ClientStore
from hub.auth.principal import Principal
from hub.federation.ids import PersonIds
from hub.federation.partner_set import PartnerSet
from hub.federation.resilience import Attempts
from hub.watches.broker import Broker, Notification
from hub.watches.matching import KEYS_LEASE, Matched, Matcher
from hub.watches.store import WatchRecord, WatchStore
from hub.watches.webhooks import Webhooks, event_payload

__all__ = ["KIND_SCOPES", "Poller"]

log = logging.getLogger(__name__)

#: What a watcher needs to be told of each kind of record: the same scopes as the Person field that reads
#: it (a test keeps the two the same).
KIND_SCOPES: Mapping[Capability, tuple[frozenset[str], ...]] = {
    Capability.PEOPLE: (frozenset({"person:read"}),),
    Capability.MARKERS: (frozenset({"markers:read"}), frozenset({"markers:health"})),
    Capability.INTELLIGENCE: (frozenset({"intel:read"}),),
    Capability.CUSTODY: (frozenset({"custody:read"}),),
    Capability.SAFEGUARDING: (frozenset({"safeguarding:read"}),),
}
#: The audit trail's name for a disclosed record of each kind (`hub.audit.events.Disclosure`).
_DISCLOSED_AS = {
    Capability.PEOPLE: "match",  # that the partner holds a record of the person: its id, nothing more
    Capability.MARKERS: "marker",
    Capability.INTELLIGENCE: "intelligence",
    Capability.CUSTODY: "custody",
    Capability.SAFEGUARDING: "safeguarding",
}
#: Most changes read from one partner in one poll.
PAGE = 500
#: The namespace of events' ids (UUID 5 of the page, the watch and the record).
_EVENT_IDS = uuid.UUID("5f0c3c3e-8b5e-4d0a-9a51-2f1b7c8e9d40")


class Poller:
    """Reads the partners' change feeds and fires the watches (see the module docstring)."""

    def __init__(
        self,
        partners: PartnerSet,
        watches: WatchStore,
        audit: AuditStore,
        clients: ClientStore,
        policy: SharingPolicy,
        broker: Broker,
        *,
        webhooks: Webhooks | None = None,
        person_ids: PersonIds | None = None,
    ) -> None:
        self.partners, self.watches, self.audit, self.clients = partners, watches, audit, clients
        self.policy, self.broker = policy, broker
        self.webhooks, self.person_ids = webhooks, person_ids
        #: This process, as the holder of partners' feed leases.
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.matcher = Matcher(watches, self._people)

    def feeds(self) -> list[str]:
        """The partners that offer a change feed."""
        return [c.name for c in self.partners if Capability.CHANGES in c.capabilities]

    def interval_of(self, name: str) -> float:
        """Seconds between two polls of the partner's feed (its `poll_interval`; 0: never)."""
        return self.partners.configs[name].poll_interval

    async def run(self) -> None:
        """Poll each feed at its own interval until cancelled; a failure waits for the feed's next poll."""
        loop = asyncio.get_running_loop()
        due = {name: loop.time() for name in self.feeds() if self.interval_of(name) > 0}
        while due:
            ready = [name for name, at in due.items() if at <= loop.time()]
            if ready:
                await self.poll_once(ready)
                for name in ready:
                    due[name] = loop.time() + self.interval_of(name)
            await asyncio.sleep(max(0.01, min(due.values()) - loop.time()))

    async def poll_once(self, names: list[str] | None = None) -> list[Notification]:
        """One poll of these feeds (by default every one), at once; the notifications told."""
        names = self.feeds() if names is None else names
        keyed = await self.key_sources()
        results = await asyncio.gather(*(self.poll(name, keyed) for name in names), return_exceptions=True)
        told: list[Notification] = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, BaseException):
                if isinstance(result, asyncio.CancelledError):
                    raise result
                log.warning("polling %s failed, tried again in %gs: %s", name, self.interval_of(name), result)
            else:
                told += result
        return told

    async def _guarded(self, name: str, kind: str, call: Any) -> Any:
        return await self.partners.guards[name].call(kind, call, idempotent=True, attempts=Attempts())

    async def _people(self, name: str, ids: Sequence[str]) -> Mapping[str, PersonRecord]:
        """People records of one partner by id (none from a partner gone from the partners file, or that
        does not give people records by id)."""
        connector = self.partners.connectors.get(name)
        if connector is None or Capability.PEOPLE not in connector.capabilities or not ids:
            return {}
        wanted = {Capability.PEOPLE: list(ids)}
        fetched = await self._guarded(name, "people", lambda: connector.fetch(wanted))
        return dict(fetched.get(Capability.PEOPLE, {}))

    async def key_sources(self) -> bool:
        """Read the blocking keys of watched records not keyed yet (`Matcher.key_sources`), on one replica
        at a time; whether this one did. A failure is logged, and tried again at the next poll."""
        try:
            if not await self.watches.lease(KEYS_LEASE, self.holder, 30.0):
                return False
            await self.matcher.key_sources()
            await self.watches.forget_ended()
            return True
        except Exception as exc:
            log.warning("the watched records' keys could not be read, tried again next poll: %s", exc)
            return False

    async def poll(self, name: str, keyed: bool = False) -> list[Notification]:
        """Read one partner's feed since its cursor and fire the watches it concerns. `keyed`: this replica
        has just read the watched records' keys (`key_sources`), so new people records need not wait for it
        again."""
        connector = self.partners.connectors[name]
        # One reader per partner across replicas: a lease long enough for the slowest poll (five partner calls
        # in a row at most: the feed, keys, the new records, the watched records to compare, the fetch; then
        # the audit) and the next one. A poll that outruns it anyway stores nothing (`LeaseLost`).
        slowest = max(config.timeout for config in self.partners.configs.values())
        lease = max(self.interval_of(name) * 3, slowest * 5 + self.audit.write_timeout * 2, 10.0)
        if not await self.watches.lease(name, self.holder, lease):
            return []
        cursor = await self.watches.cursor(name)
        page: ChangePage = await self._guarded(name, "changes", lambda: connector.changes(cursor, PAGE))
        if cursor is None:  # a new reader: from now on
            await self.watches.set_cursor(name, page.cursor, self.holder)
            return []
        born = sorted({c.person_record_id for c in page.changes if c.kind is Capability.PEOPLE})
        matches: list[Matched] = []
        if born and not keyed:
            try:  # a watch made since the last poll is matched too (this replica may not key the others)
                await self.matcher.key_sources()
            except Exception as exc:
                log.warning(
                    "watched records could not be keyed before matching %s's new records: %s", name, exc
                )
        if born:
            matches = await self.matcher.match(name, await self._people(name, born))
        others = [c for c in page.changes if c.kind is not Capability.PEOPLE]
        notifications = await self._fire(name, cursor, others, matches) if others or matches else []
        for notification in notifications:  # audited, every one: now they may be told
            self.broker.publish(notification)
        await self._queue_webhooks(notifications)
        # Audited and queued: now the watches grow, with the cursor (a failure before reads the page again).
        added = [(m.watch.watch_id, name, m.match.record_id, m.keys) for m in matches]
        await self.watches.finish_page(name, page.cursor, self.holder, added)
        return notifications

    async def _fire(
        self, name: str, cursor: str, changes: Sequence[Change], matches: Sequence[Matched] = ()
    ) -> list[Notification]:
        """The notifications of the page of a partner's feed after `cursor`: its records' changes (`changes`)
        and the new people records matched to watches (`matches`, whose watches name those records
        already), each checked against its watcher's rights, and all of them audited.

        An event's id is derived from the page, the watch and the record: a page read again (its poll failed
        after telling) tells the same events under the same ids, which a receiver can recognise (a webhook's
        `webhook-id`), and queues no second delivery."""
        grown = {m.watch.watch_id: m.watch for m in matches}
        stored = await self.watches.live_on(name, {c.person_record_id for c in changes})
        watches = [grown.pop(w.watch_id, w) for w in stored] + list(grown.values())
        due = [
            (watch, change)
            for change in changes
            for watch in watches
            if (name, change.person_record_id) in watch.sources and change.kind.value in watch.kinds
        ]
        told_of_match = [(m.watch, m.match) for m in matches if Capability.PEOPLE.value in m.watch.kinds]
        clients = {w.client_id for w, _ in due} | {w.client_id for w, _ in told_of_match}
        rights = {client: await self._rights(client) for client in clients}
        connector = self.partners.connectors[name]
        now = datetime.now(UTC)

        def notification(
            watch: WatchRecord, kind: Capability, person_record_id: str, record: Any
        ) -> Notification:
            what = (
                getattr(record, "id", None)
                or getattr(record, "code", None)
                or getattr(record, "record_id", "")
            )
            key = "\n".join((name, cursor, watch.watch_id, kind.value, person_record_id, str(what)))
            event_id = str(uuid.uuid5(_EVENT_IDS, key))
            return Notification(event_id, watch, kind, name, connector.title, person_record_id, record, now)

        notifications = [
            notification(watch, Capability.PEOPLE, match.record_id, match)
            for watch, match in told_of_match
            if (granted := rights[watch.client_id]) is not None
            and satisfies(KIND_SCOPES[Capability.PEOPLE], granted[1])
        ]
        wanted: dict[Capability, set[str]] = {}
        for watch, change in due:
            granted = rights[watch.client_id]
            if granted is not None and satisfies(KIND_SCOPES[change.kind], granted[1]):
                wanted.setdefault(change.kind, set()).add(change.person_record_id)
        fetched: Mapping[Capability, Mapping[str, Any]] = {}
        if wanted:
            asked = {kind: sorted(ids) for kind, ids in wanted.items()}
            fetched = await self._guarded(
                name, "+".join(k.value for k in asked), lambda: connector.fetch(asked)
            )
        for watch, change in due:
            granted = rights[watch.client_id]
            if granted is None or change.kind not in wanted:
                continue
            principal, scopes = granted
            for record in self._records(fetched, change):
                if not self._visible(record, change.kind, principal, scopes):
                    continue
                notifications.append(notification(watch, change.kind, change.person_record_id, record))
        # Every firing in the audit trail before any is told; appended together, they share one commit.
        await asyncio.gather(*(self.audit.append(self._event(n)) for n in notifications))
        return notifications

    async def _queue_webhooks(self, notifications: Sequence[Notification]) -> None:
        """Queue each notification for its watcher's webhook, where its client has one (`webhooks`): each
        client's endpoint looked up once per poll."""
        if self.webhooks is None or self.person_ids is None or not notifications:
            return
        clients = {n.watch.client_id for n in notifications}
        hooked = {client for client in clients if await self.webhooks.endpoint(client) is not None}
        if not hooked:
            return
        await self.person_ids.keys.fresh()
        for n in notifications:
            if n.watch.client_id in hooked:
                person_id = self.person_ids.encode(n.watch.sources)
                payload = event_payload(
                    n.event_id, n.watch.watch_id, person_id, n.kind.value, n.partner, n.record, n.detected_at
                )
                await self.webhooks.enqueue(n.event_id, n.watch.client_id, payload)

    async def _rights(self, client_id: str) -> tuple[Principal, frozenset[str]] | None:
        """The client's principal and effective scopes now; None if it is revoked or gone."""
        record = await self.clients.get(client_id)
        if record is None or not record.active:
            return None
        principal = record.principal()
        return principal, self.policy.effective_scopes(principal)

    @staticmethod
    def _records(fetched: Mapping[Capability, Mapping[str, Any]], change: Change) -> list[Any]:
        held = fetched.get(change.kind, {}).get(change.person_record_id, [])
        if change.kind is Capability.MARKERS:  # markers carry no id of their own: the person's current ones
            return list(held)
        return [r for r in held if getattr(r, "id", None) == change.record_id]

    def _visible(self, record: Any, kind: Capability, principal: Principal, scopes: frozenset[str]) -> bool:
        if kind is Capability.MARKERS:
            return self.policy.marker_visible(record, scopes)
        if kind is Capability.INTELLIGENCE:
            return self.policy.intelligence_visible(record, principal, scopes)
        return True

    @staticmethod
    def _event(n: Notification) -> AuditEvent:
        record_id = getattr(n.record, "id", None) or n.person_record_id
        return AuditEvent(
            occurred_at=n.detected_at, request_id=f"watch-{n.event_id}", client_id=n.watch.client_id,
            subject=n.watch.subject, organisation=n.watch.organisation,
            organisation_type=n.watch.organisation_type, scopes=(), purpose=n.watch.purpose,
            justification=n.watch.justification, operation_name="watch", document=None,
            variables={"watchId": n.watch.watch_id, "partner": n.partner, "kind": n.kind.value},
            denied_fields=(),
            disclosed=(Disclosure(n.partner, _DISCLOSED_AS[n.kind], str(record_id), n.person_record_id),),
            failed_partners=(), outcome="watch-fired", http_status=0, latency_ms=0.0,
        )  # fmt: skip
