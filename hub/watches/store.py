"""The watches, in the hub's own database: made, listed and cancelled by their client, read by the poller.

A watch belongs to the OAuth client that made it: only that client lists or cancels it. It names the
person by their source records (what their hub person id encodes), the kinds of record it is for, and
until when it runs: at most as long as the client's organisation type may watch
(`HUB_WATCH_MAX_DAYS`). An ended watch (expired or cancelled) stays listed for the record, and fires
nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub.auth.principal import Principal
from hub.db import insert_new
from hub.watches.tables import partner_cursor, watch, watch_source

__all__ = ["LeaseLost", "SourceKeys", "TooManyWatches", "WatchNotFound", "WatchRecord", "WatchStore", "aware"]


class WatchNotFound(LookupError):
    """No watch of this client has that id."""


class LeaseLost(Exception):
    """This replica no longer holds the partner's feed lease."""


class TooManyWatches(Exception):
    """The client already runs as many live watches as it may."""


@dataclass(frozen=True)
class SourceKeys:
    """A watched source record's blocking keys for entity resolution (`hub.watches.matching`); `keyed` is
    false while they have not been read from the partner."""

    pnc_id: str | None
    date_of_birth: date | None
    keyed: bool = True


@dataclass(frozen=True)
class WatchRecord:
    """One watch, as stored."""

    watch_id: str
    client_id: str
    subject: str | None
    organisation: str
    organisation_type: str
    sources: tuple[tuple[str, str], ...]
    kinds: tuple[str, ...]
    purpose: str | None
    justification: str | None
    created_at: datetime
    expires_at: datetime
    cancelled_at: datetime | None

    def live(self, now: datetime) -> bool:
        return self.cancelled_at is None and self.expires_at > now

    @classmethod
    def of(cls, row: Any) -> WatchRecord:
        return cls(
            watch_id=row.watch_id,
            client_id=row.client_id,
            subject=row.subject,
            organisation=row.organisation,
            organisation_type=row.organisation_type,
            sources=tuple((str(p), str(r)) for p, r in json.loads(row.sources)),
            kinds=tuple(row.kinds.split()),
            purpose=row.purpose,
            justification=row.justification,
            created_at=aware(row.created_at),
            expires_at=aware(row.expires_at),
            cancelled_at=aware(row.cancelled_at) if row.cancelled_at is not None else None,
        )


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every moment stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class WatchStore:
    """Watches and partner cursors in the hub's database (`engine`)."""

    def __init__(self, engine: AsyncEngine, max_live_per_client: int = 1000) -> None:
        self.engine = engine
        self.max_live_per_client = max_live_per_client

    async def create(
        self,
        principal: Principal,
        sources: Sequence[tuple[str, str]],
        kinds: Iterable[str],
        expires_at: datetime,
        purpose: str | None,
        justification: str | None,
    ) -> WatchRecord:
        """A new watch for `principal`'s client.

        Raises:
            TooManyWatches: The client already runs `max_live_per_client` live watches.
        """
        now = datetime.now(UTC)
        row = {
            "watch_id": str(uuid.uuid4()),
            "client_id": principal.client_id,
            "subject": principal.subject,
            "organisation": principal.organisation or "",
            "organisation_type": str(principal.organisation_type or ""),
            "sources": json.dumps([list(s) for s in sources]),
            "kinds": " ".join(sorted(set(kinds))),
            "purpose": purpose,
            "justification": justification,
            "created_at": now,
            "expires_at": expires_at,
            "cancelled_at": None,
        }
        async with self.engine.begin() as conn:
            live = await conn.scalar(
                select(func.count())
                .select_from(watch)
                .where(watch.c.client_id == principal.client_id, _live(now))
            )
            if (live or 0) >= self.max_live_per_client:
                raise TooManyWatches(
                    f"The client runs {live} live watches, the most it may (HUB_WATCH_MAX_PER_CLIENT): "
                    "cancel one, or let one end."
                )
            await conn.execute(watch.insert().values(**row))
            await conn.execute(
                watch_source.insert(),
                [
                    {"watch_id": row["watch_id"], "partner": p, "record_id": r}
                    for p, r in dict.fromkeys(sources)
                ],
            )
        return WatchRecord.of(_Row(row))

    async def of_client(self, client_id: str, include_ended: bool = False) -> list[WatchRecord]:
        """The client's watches, newest first; live ones only unless `include_ended`."""
        query = select(watch).where(watch.c.client_id == client_id)
        if not include_ended:
            query = query.where(_live(datetime.now(UTC)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.order_by(watch.c.created_at.desc()))).all()
        return [WatchRecord.of(row) for row in rows]

    async def cancel(self, client_id: str, watch_id: str) -> WatchRecord:
        """End one of the client's watches now (an ended one stays as it was).

        Raises:
            WatchNotFound: The client has no watch with that id (another client's is not found either).
        """
        async with self.engine.begin() as conn:
            mine = and_(watch.c.watch_id == watch_id, watch.c.client_id == client_id)
            await conn.execute(
                update(watch)
                .where(mine, watch.c.cancelled_at.is_(None))
                .values(cancelled_at=datetime.now(UTC))
            )
            row = (await conn.execute(select(watch).where(mine))).first()
            if row is not None:  # an ended watch is matched with nothing, and keeps no keys of its person
                await conn.execute(watch_source.delete().where(watch_source.c.watch_id == watch_id))
        if row is None:
            raise WatchNotFound(f"You have no watch {watch_id!r}.")
        return WatchRecord.of(row)

    async def live_on(self, partner: str, record_ids: Iterable[str]) -> list[WatchRecord]:
        """The live watches whose person includes one of these records of `partner`."""
        ids = sorted(set(record_ids))
        if not ids:
            return []
        # By the index on (partner, record id): the cost is the matches', not the number of watches.
        matching = select(watch_source.c.watch_id).where(
            watch_source.c.partner == partner, watch_source.c.record_id.in_(ids)
        )
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(watch).where(watch.c.watch_id.in_(matching), _live(datetime.now(UTC)))
                )
            ).all()
        return [WatchRecord.of(row) for row in rows]

    async def unkeyed(self, per_partner: int) -> list[tuple[str, str]]:
        """Source records of live watches whose blocking keys have not been read yet: at most `per_partner`
        of each partner, so that one partner that cannot answer holds up no other's."""
        pending = and_(watch_source.c.keyed_at.is_(None), _live(datetime.now(UTC)))
        joined = watch_source.join(watch, watch.c.watch_id == watch_source.c.watch_id)
        found: list[tuple[str, str]] = []
        async with self.engine.connect() as conn:
            partners = (
                await conn.execute(
                    select(watch_source.c.partner).select_from(joined).where(pending).distinct()
                )
            ).scalars()
            for partner in sorted(partners):
                ids = await conn.execute(
                    select(watch_source.c.record_id)
                    .select_from(joined)
                    .where(pending, watch_source.c.partner == partner)
                    .distinct()
                    .order_by(watch_source.c.record_id)
                    .limit(per_partner)
                )
                found += [(str(partner), str(record_id)) for record_id in ids.scalars()]
        return found

    async def set_keys(self, keys: Mapping[tuple[str, str], SourceKeys]) -> None:
        """Record source records' blocking keys, on every live watch naming each record."""
        if not keys:
            return
        now = datetime.now(UTC)
        live = select(watch.c.watch_id).where(_live(now))
        statement = (
            update(watch_source)
            .where(
                watch_source.c.partner == bindparam("b_partner"),
                watch_source.c.record_id == bindparam("b_record_id"),
                watch_source.c.watch_id.in_(live),
            )
            .values(pnc_id=bindparam("b_pnc_id"), date_of_birth=bindparam("b_birth"), keyed_at=now)
        )
        rows = [
            {"b_partner": p, "b_record_id": r, "b_pnc_id": k.pnc_id, "b_birth": k.date_of_birth}
            for (p, r), k in keys.items()
        ]
        async with self.engine.begin() as conn:
            await conn.execute(statement, rows)

    async def forget_ended(self) -> int:
        """Delete ended watches' source rows, and with them their keys (PNC ID, date of birth): an ended watch
        is matched with nothing, and keeps its person in its own list of sources. How many were deleted."""
        ended = select(watch.c.watch_id).where(~_live(datetime.now(UTC)))
        async with self.engine.begin() as conn:
            gone = await conn.execute(watch_source.delete().where(watch_source.c.watch_id.in_(ended)))
        return int(gone.rowcount or 0)

    async def sharing_keys(
        self, pnc_ids: Iterable[str], dates_of_birth: Iterable[date]
    ) -> list[tuple[WatchRecord, dict[tuple[str, str], SourceKeys]]]:
        """The live watches with a source record holding one of these PNC IDs or dates of birth (by index),
        each with every one of its source records' keys (`SourceKeys.keyed` false where not read yet)."""
        pncs, dates = sorted(set(pnc_ids)), sorted(set(dates_of_birth))
        if not pncs and not dates:
            return []
        sharing = select(watch_source.c.watch_id).where(
            or_(watch_source.c.pnc_id.in_(pncs), watch_source.c.date_of_birth.in_(dates))
        )
        live = _live(datetime.now(UTC))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(watch).where(watch.c.watch_id.in_(sharing), live))).all()
            found: dict[str, tuple[WatchRecord, dict[tuple[str, str], SourceKeys]]] = {
                row.watch_id: (WatchRecord.of(row), {}) for row in rows
            }
            if found:
                sources = await conn.execute(
                    select(watch_source).where(watch_source.c.watch_id.in_(list(found)))
                )
                for s in sources:
                    keys = SourceKeys(s.pnc_id, s.date_of_birth, keyed=s.keyed_at is not None)
                    found[s.watch_id][1][(s.partner, s.record_id)] = keys
        return list(found.values())

    async def finish_page(
        self,
        partner: str,
        cursor: str,
        holder: str,
        added: Sequence[tuple[str, str, str, SourceKeys]] = (),
    ) -> None:
        """One page of `partner`'s feed handled by `holder`: add the records matched to watches (watch id,
        partner, record id, keys) to their persons, and move the partner's cursor on, in one transaction
        (both or neither: a page read again matches again).

        Raises:
            LeaseLost: `holder` no longer holds the partner's lease (its poll outran it, and another replica
                may have read the page): nothing is stored.
        """
        async with self.engine.begin() as conn:
            await _add_sources(conn, added)
            await _set_cursor(conn, partner, cursor, holder)

    async def lease(self, partner: str, holder: str, seconds: float) -> bool:
        """Whether `holder` may read `partner`'s feed for the next `seconds`: it holds the lease, or took it
        because it was free or had run out. One reader per partner, whatever the number of replicas."""
        now = datetime.now(UTC)
        until = now + timedelta(seconds=seconds)
        free = or_(
            partner_cursor.c.lease_until.is_(None),
            partner_cursor.c.lease_until < now,
            partner_cursor.c.leased_by == holder,
        )
        async with self.engine.begin() as conn:
            taken = await conn.execute(
                update(partner_cursor)
                .where(partner_cursor.c.partner == partner, free)
                .values(leased_by=holder, lease_until=until)
            )
            if taken.rowcount:
                return True
            exists = await conn.scalar(
                select(func.count()).select_from(partner_cursor).where(partner_cursor.c.partner == partner)
            )
            if exists:
                return False
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    partner_cursor.insert().values(
                        partner=partner, cursor=None, updated_at=now, leased_by=holder, lease_until=until
                    )
                )
        except IntegrityError:  # another replica made the row first: its lease
            return False
        return True

    async def cursor(self, partner: str) -> str | None:
        async with self.engine.connect() as conn:
            value = await conn.scalar(
                select(partner_cursor.c.cursor).where(partner_cursor.c.partner == partner)
            )
        return str(value) if value is not None else None

    async def set_cursor(self, partner: str, cursor: str, holder: str) -> None:
        """Move `partner`'s cursor, for the holder of its lease (`LeaseLost` otherwise)."""
        async with self.engine.begin() as conn:
            await _set_cursor(conn, partner, cursor, holder)


async def _set_cursor(conn: AsyncConnection, partner: str, cursor: str, holder: str) -> None:
    moved = await conn.execute(
        update(partner_cursor)
        .where(partner_cursor.c.partner == partner, partner_cursor.c.leased_by == holder)
        .values(cursor=cursor, updated_at=datetime.now(UTC))
    )
    if moved.rowcount == 0:
        raise LeaseLost(f"this replica no longer holds {partner}'s feed: its page is left to the holder")


async def _add_sources(conn: AsyncConnection, added: Sequence[tuple[str, str, str, SourceKeys]]) -> None:
    """Add records to live watches' persons: a row each in `watch_source` (one a watch already has is left
    as it is), then each watch's JSON list of sources rebuilt from them.

    The watches are locked first (PostgreSQL: their rows, in id order, FOR NO KEY UPDATE, which the rows'
    foreign keys do not wait on; SQLite: the database's write lock), so that two replicas, or two partners'
    polls, adding to one watch at once take turns and both land, and a watch cancelled meanwhile gains none.
    """
    ids = sorted({a[0] for a in added})
    if not ids:
        return
    if conn.dialect.name == "postgresql":
        locking = select(watch).where(watch.c.watch_id.in_(ids)).order_by(watch.c.watch_id)
        rows = (await conn.execute(locking.with_for_update(key_share=True))).all()
    else:  # a write first: SQLite takes its write lock now, and what is read after is current
        await conn.execute(update(watch).where(watch.c.watch_id.in_(ids)).values(sources=watch.c.sources))
        rows = (await conn.execute(select(watch).where(watch.c.watch_id.in_(ids)))).all()
    now = datetime.now(UTC)
    watches = {row.watch_id: WatchRecord.of(row) for row in rows}
    live = sorted(w for w, record in watches.items() if record.live(now))
    new_rows = [
        {
            "watch_id": watch_id,
            "partner": partner,
            "record_id": record_id,
            "pnc_id": keys.pnc_id,
            "date_of_birth": keys.date_of_birth,
            "keyed_at": now,
        }
        for watch_id, partner, record_id, keys in added
        if watch_id in live
    ]
    if not new_rows:
        return
    await conn.execute(insert_new(conn.dialect.name, watch_source), new_rows)
    named: dict[str, set[tuple[str, str]]] = {}
    for r in await conn.execute(select(watch_source).where(watch_source.c.watch_id.in_(live))):
        named.setdefault(r.watch_id, set()).add((r.partner, r.record_id))
    changed = []
    for watch_id in live:
        sources = list(watches[watch_id].sources)
        missing = sorted(named.get(watch_id, set()) - set(sources))
        if missing:
            changed.append(
                {"b_watch_id": watch_id, "b_sources": json.dumps([list(x) for x in sources + missing])}
            )
    if changed:
        await conn.execute(
            update(watch)
            .where(watch.c.watch_id == bindparam("b_watch_id"))
            .values(sources=bindparam("b_sources")),
            changed,
        )


def _live(now: datetime) -> Any:
    return and_(watch.c.cancelled_at.is_(None), watch.c.expires_at > now)


class _Row:
    """A dict read like a result row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
