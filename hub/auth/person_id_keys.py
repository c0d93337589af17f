"""The keys that sign person ids (HMAC-SHA256), kept in the hub's database so that every replica reads the
ids every other replica issued.

A person id names the partner records a person was merged from; signing it means a caller can only send
back ids the hub gave out (`hub.federation.ids`). Rotation works like the token signing keys'
(`hub keys rotate --person-ids`): the new key signs from then on, and ids signed by a retired key stay
readable for HUB_PERSON_ID_LIFETIME_DAYS after it was retired; after that they are refused as expired (the
caller searches again). Keys are never deleted, so an auditor can still read the access log of an old id.

Each replica keeps the keys in memory (the id of a person in an answer is made without a database round
trip), reads them again after `cache_seconds`, or at once when an id names a key it does not know (at most
once every `refresh_seconds`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.tables import person_id_key
from hub.db import as_utc

__all__ = ["PersonIdKey", "PersonIdKeys"]


@dataclass(frozen=True)
class PersonIdKey:
    """One person-id key: `kid` goes into the ids it signs."""

    kid: str
    secret: bytes
    created_at: datetime
    retired_at: datetime | None


class PersonIdKeys:
    """The person-id keys, shared by every replica through the database (`hub.federation.ids.KeyRing`).

    Args:
        engine: The hub's database.
        lifetime: How long ids signed by a retired key stay readable after it was retired.
        cache_seconds: How long the keys are kept in memory before they are read again.
        refresh_seconds: Least time between two reloads caused by an unknown key id.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        lifetime: timedelta = timedelta(days=30),
        cache_seconds: float = 60.0,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.engine, self.lifetime = engine, lifetime
        self.cache_seconds, self.refresh_seconds = cache_seconds, refresh_seconds
        self._keys: dict[str, PersonIdKey] = {}
        self._current: PersonIdKey | None = None
        self._loaded_at = float("-inf")
        self._refreshed_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _load(self) -> None:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(person_id_key))).all()
        keys = [
            PersonIdKey(
                row.kid,
                bytes.fromhex(row.secret),
                as_utc(row.created_at),
                as_utc(row.retired_at) if row.retired_at is not None else None,
            )
            for row in rows
        ]
        active = sorted((k for k in keys if k.retired_at is None), key=lambda k: k.created_at)
        self._keys = {k.kid: k for k in keys}
        self._current = active[-1] if active else None
        self._loaded_at = time.monotonic()

    async def _insert(self, retire_others: bool) -> PersonIdKey:
        now = datetime.now(UTC)
        kid = secrets.token_hex(4)
        async with self.engine.begin() as conn:
            if retire_others:
                await conn.execute(
                    update(person_id_key).where(person_id_key.c.retired_at.is_(None)).values(retired_at=now)
                )
            await conn.execute(
                person_id_key.insert().values(
                    kid=kid, secret=secrets.token_hex(32), created_at=now, retired_at=None
                )
            )
        async with self._lock:
            await self._load()
        return self._keys[kid]

    async def open(self) -> None:
        """Read the keys; make the first one if the database has none."""
        async with self._lock:
            await self._load()
        if self._current is None:
            # Two replicas starting on an empty database may both add one: both are kept, the newer signs.
            await self._insert(retire_others=False)

    async def rotate(self) -> PersonIdKey:
        """A new key signs from now on; ids the old one signed stay readable for the lifetime."""
        return await self._insert(retire_others=True)

    async def list(self) -> list[PersonIdKey]:
        """Every key, newest first."""
        async with self._lock:
            await self._load()
        return sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)

    async def fresh(self) -> None:
        """Read the keys again if they were read longer than `cache_seconds` ago (once per request: cheap)."""
        if time.monotonic() - self._loaded_at < self.cache_seconds and self._current is not None:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at >= self.cache_seconds or self._current is None:
                await self._load()

    # -- hub.federation.ids.KeyRing ------------------------------------------------------------------------

    def signing(self) -> tuple[str, bytes]:
        """The key that signs new ids: (kid, secret)."""
        if self._current is None:
            raise RuntimeError("the person-id keys have not been read: call open() first")
        return self._current.kid, self._current.secret

    def verifying(self, kid: str) -> tuple[bytes, datetime | None] | None:
        """The secret of key `kid` and when ids it signed stop being readable (None: never, it signs), or
        None if this replica does not know the key."""
        key = self._keys.get(kid)
        if key is None:
            return None
        return key.secret, (key.retired_at + self.lifetime if key.retired_at is not None else None)

    async def find(self, kid: str) -> None:
        """Read the keys again because an id names `kid`, unknown here (rate-limited)."""
        if kid in self._keys or time.monotonic() - self._refreshed_at < self.refresh_seconds:
            return
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._refreshed_at >= self.refresh_seconds:
                self._refreshed_at = time.monotonic()
                await self._load()
