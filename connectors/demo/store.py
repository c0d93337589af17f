"""Read access to a demo partner's own database, shared by the REST and GraphQL demo partners.

Every method takes the partner's nominal refs and answers in the layout's own column names (dicts), batched:
one query per table whatever the number of refs. The servers turn these rows into their own API shapes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, Table, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from connectors.demo import layout as t

__all__ = ["DemoStore", "Row"]

Row = dict[str, Any]


class DemoStore:
    """A demo partner's database, opened from an SQLAlchemy async URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url)

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def _rows(self, query: Select[Any]) -> list[Row]:
        async with self.engine.connect() as conn:
            result = await conn.execute(query)
            return [dict(r._mapping) for r in result]

    def _search_filter(
        self, surname: str | None, forenames: str | None, birth_date: date | None, pnc: str | None
    ) -> list[Any]:
        where: list[Any] = []
        if surname:
            key = t.search_key(surname)
            aliased = select(t.nominal_alias.c.nominal_ref).where(t.nominal_alias.c.surname_key == key)
            where.append(or_(t.nominal.c.surname_key == key, t.nominal.c.nominal_ref.in_(aliased)))
        if forenames:
            where.append(func.upper(t.nominal.c.forenames).like(forenames.strip().upper() + "%"))
        if birth_date:
            where.append(t.nominal.c.birth_date == birth_date)
        if pnc:
            where.append(t.nominal.c.pnc_ref == pnc.strip().upper())
        return where

    async def search(
        self,
        surname: str | None = None,
        forenames: str | None = None,
        birth_date: date | None = None,
        pnc: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Row], int]:
        """Nominals matching every given filter (surname also matches aliases), and the total count."""
        where = self._search_filter(surname, forenames, birth_date, pnc)
        if not where:
            return [], 0
        async with self.engine.connect() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(t.nominal).where(*where))
            ).scalar_one()
            refs = (
                await conn.execute(
                    select(t.nominal.c.nominal_ref)
                    .where(*where)
                    .order_by(t.nominal.c.nominal_ref)
                    .limit(limit)
                    .offset(offset)
                )
            ).scalars()
            ref_list = list(refs)
        return await self.nominals(ref_list), int(total)

    async def nominals(self, refs: Sequence[str]) -> list[Row]:
        """Nominals by ref, each with `aliases` and `addresses` lists, in the order of `refs`."""
        if not refs:
            return []
        people = {
            r["nominal_ref"]: r
            for r in await self._rows(select(t.nominal).where(t.nominal.c.nominal_ref.in_(refs)))
        }
        for row in people.values():
            row["aliases"], row["addresses"] = [], []
        for alias in await self._rows(
            select(t.nominal_alias).where(t.nominal_alias.c.nominal_ref.in_(people))
        ):
            people[alias["nominal_ref"]]["aliases"].append(alias)
        addresses = select(t.nominal_address).where(t.nominal_address.c.nominal_ref.in_(people))
        for address in await self._rows(addresses.order_by(t.nominal_address.c.address_id)):
            people[address["nominal_ref"]]["addresses"].append(address)
        return [people[ref] for ref in refs if ref in people]

    async def _by_ref(self, table: Table, refs: Sequence[str], order: str) -> dict[str, list[Row]]:
        grouped: dict[str, list[Row]] = defaultdict(list)
        if refs:
            query = select(table).where(table.c.nominal_ref.in_(refs)).order_by(table.c[order])
            for row in await self._rows(query):
                grouped[row["nominal_ref"]].append(row)
        return dict(grouped)

    async def warnings(self, refs: Sequence[str]) -> dict[str, list[Row]]:
        return await self._by_ref(t.warning_signal, refs, "signal_id")

    async def intelligence(self, refs: Sequence[str]) -> dict[str, list[Row]]:
        return await self._by_ref(t.intel_log, refs, "log_ref")

    async def safeguarding(self, refs: Sequence[str]) -> dict[str, list[Row]]:
        return await self._by_ref(t.vulnerability_referral, refs, "referral_ref")

    async def custody(self, refs: Sequence[str]) -> dict[str, list[Row]]:
        """Custody events by nominal ref, each with an `offences` list."""
        grouped = await self._by_ref(t.custody_event, refs, "custody_ref")
        events = {e["custody_ref"]: e for rows in grouped.values() for e in rows}
        for event in events.values():
            event["offences"] = []
        if events:
            query = select(t.custody_offence).where(t.custody_offence.c.custody_ref.in_(events))
            for offence in await self._rows(query.order_by(t.custody_offence.c.offence_id)):
                events[offence["custody_ref"]]["offences"].append(offence)
        return grouped

    async def changes(self, after: int | None, limit: int) -> tuple[list[Row], int]:
        """Changes after sequence number `after` (at most `limit`, oldest first), and the newest sequence
        number there is (0 for none). `after=None` asks only for the newest: where a new reader starts."""
        async with self.engine.connect() as conn:
            head = int(
                await conn.scalar(select(func.coalesce(func.max(t.record_change.c.change_seq), 0))) or 0
            )
            if after is None:
                return [], head
            query = (
                select(t.record_change)
                .where(t.record_change.c.change_seq > after)
                .order_by(t.record_change.c.change_seq)
                .limit(limit)
            )
            rows = [dict(r._mapping) for r in (await conn.execute(query)).all()]
        return rows, head

    async def add_person(
        self,
        surname: str,
        forenames: str | None,
        birth_date: date | None,
        sex: str | None = None,
        pnc_ref: str | None = None,
    ) -> str:
        """A new nominal record (made now, as a custody suite makes one for someone it cannot find in its
        own records), recorded in the change feed as a `person`; its ref."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        ref = f"NM-{uuid.uuid4().hex[:12].upper()}"  # unique however many are made at once
        async with self.engine.begin() as conn:
            await conn.execute(
                t.nominal.insert().values(
                    nominal_ref=ref,
                    surname=surname,
                    forenames=forenames,
                    surname_key=t.search_key(surname),
                    birth_date=birth_date,
                    sex=sex,
                    pnc_ref=pnc_ref,
                )
            )
            await conn.execute(
                t.record_change.insert().values(
                    record_kind="person", record_ref=ref, nominal_ref=ref, changed_at=now
                )
            )
        return ref

    async def add_custody(
        self,
        nominal_ref: str,
        reason: str,
        offences: Sequence[tuple[str, str]],
        suite: str,
        authorised_by: str,
    ) -> str:
        """A new detention of `nominal_ref` (arrested now, still detained), recorded in the change feed."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        async with self.engine.begin() as conn:
            count = int(await conn.scalar(select(func.count()).select_from(t.custody_event)) or 0)
            ref = f"CU-{now:%y%m%d}-{count + 1:05d}"
            await conn.execute(
                t.custody_event.insert().values(
                    custody_ref=ref,
                    nominal_ref=nominal_ref,
                    custody_number=f"{suite[:3].upper()}/{count + 1:06d}",
                    suite=suite,
                    arrested_at=now,
                    arrest_reason=reason,
                    authorised_by=authorised_by,
                )
            )
            for code, text in offences:
                await conn.execute(
                    t.custody_offence.insert().values(custody_ref=ref, offence_code=code, offence_text=text)
                )
            await conn.execute(
                t.record_change.insert().values(
                    record_kind="custody", record_ref=ref, nominal_ref=nominal_ref, changed_at=now
                )
            )
        return ref

    async def add_referral(
        self, nominal_ref: str, referral_type: str, summary: str, children_present: bool
    ) -> str:
        """A new safeguarding referral about `nominal_ref` (occurred now), recorded in the change feed."""
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        async with self.engine.begin() as conn:
            count = int(await conn.scalar(select(func.count()).select_from(t.vulnerability_referral)) or 0)
            ref = f"VR-{now:%y%m%d}-{count + 1:05d}"
            await conn.execute(
                t.vulnerability_referral.insert().values(
                    referral_ref=ref,
                    nominal_ref=nominal_ref,
                    referral_type=referral_type,
                    occurred_at=now,
                    children_present=children_present,
                    summary_text=summary,
                    contact_point="MASH duty desk",
                )
            )
            await conn.execute(
                t.record_change.insert().values(
                    record_kind="safeguarding", record_ref=ref, nominal_ref=nominal_ref, changed_at=now
                )
            )
        return ref
