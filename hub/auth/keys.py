"""The keys that sign the hub's access tokens: ES256 (EC P-256), kept in the hub's database.

Keeping them in the database (not in a replica's memory or a local file) is what lets every replica sign
and validate with the same keys, and lets `hub keys rotate`, run anywhere, reach all of them.

Rotation without downtime: `rotate()` makes a new key the one that signs and retires the old one for signing
only. A retired key stays published (JWKS, validation) for as long as a token it signed can still be valid:

    retired_at + token TTL + leeway + cache_seconds

(`cache_seconds` because a replica that has not reloaded yet may still sign with the old key that long.)

Each replica keeps the keys in memory and reads them again after `cache_seconds`, or at once when a token
names a `kid` it does not know (at most once every `refresh_seconds`, so a flood of made-up `kid`s costs
one query, not one each).
"""

from __future__ import annotations

import asyncio
import builtins
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey, Key, import_key
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.tables import signing_key
from hub.db import as_utc

__all__ = ["SIGNING_ALGORITHM", "KeyStore", "SigningKey"]

SIGNING_ALGORITHM = "ES256"


@dataclass(frozen=True)
class SigningKey:
    """One of the hub's signing keys."""

    kid: str
    algorithm: str
    private: Key
    public: Key
    created_at: datetime
    retired_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether it may sign (not retired)."""
        return self.retired_at is None

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK (never the private `d`)."""
        return dict(self.public.as_dict(private=False))


def _new_key() -> tuple[str, dict[str, Any], dict[str, Any]]:
    key = ECKey.generate_key("P-256", {"use": "sig", "alg": SIGNING_ALGORITHM}, private=True)
    kid = key.thumbprint()  # RFC 7638: the same key always gets the same kid, on every replica
    key.ensure_kid()
    private = dict(key.as_dict(private=True))
    public = dict(key.as_dict(private=False))
    private["kid"] = public["kid"] = kid
    return kid, private, public


def _key(row: Any) -> SigningKey:
    return SigningKey(
        kid=row.kid,
        algorithm=row.algorithm,
        private=import_key(json.loads(row.private_jwk)),
        public=import_key(json.loads(row.public_jwk)),
        created_at=as_utc(row.created_at),
        retired_at=as_utc(row.retired_at) if row.retired_at is not None else None,
    )


class KeyStore:
    """The hub's signing keys, shared by every replica through the database.

    Args:
        engine: The hub's database.
        token_ttl: Lifetime of the tokens the keys sign, in seconds.
        leeway: Clock skew allowed when validating, in seconds.
        cache_seconds: How long the keys are kept in memory before they are read again.
        refresh_seconds: Least time between two reloads caused by an unknown `kid`.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        token_ttl: float = 900,
        leeway: float = 30,
        cache_seconds: float = 60.0,
        refresh_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self.refresh_seconds = refresh_seconds
        self.retention = timedelta(seconds=token_ttl + leeway + cache_seconds)
        self._keys: builtins.list[SigningKey] | None = None
        self._loaded_at = float("-inf")
        # Counted from the last reload an unknown kid caused, not from any load: a replica that has just
        # loaded the keys must still find a key rotated in a moment later, at once.
        self._refreshed_at = float("-inf")
        self._lock = asyncio.Lock()

    def published_until(self, key: SigningKey) -> datetime | None:
        """When a retired key stops validating (None: it is active, and validates)."""
        return None if key.retired_at is None else key.retired_at + self.retention

    def _published(self, key: SigningKey, now: datetime) -> bool:
        until = self.published_until(key)
        return until is None or now < until

    async def list(self) -> builtins.list[SigningKey]:
        """Every key in the database, newest first (retired and expired ones too)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(signing_key))).all()
        return sorted((_key(row) for row in rows), key=lambda k: (k.created_at, k.active), reverse=True)

    async def _reload(self) -> builtins.list[SigningKey]:
        self._keys = await self.list()
        self._loaded_at = time.monotonic()
        return self._keys

    async def _cached(self) -> builtins.list[SigningKey]:
        if self._keys is not None and time.monotonic() - self._loaded_at < self.cache_seconds:
            return self._keys
        async with self._lock:
            # Another task may have reloaded while this one waited for the lock.
            if self._keys is not None and time.monotonic() - self._loaded_at < self.cache_seconds:
                return self._keys
            return await self._reload()

    async def _insert(self, retire_others: bool) -> SigningKey:
        kid, private, public = _new_key()
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            if retire_others:
                await conn.execute(
                    update(signing_key).where(signing_key.c.retired_at.is_(None)).values(retired_at=now)
                )
            await conn.execute(
                signing_key.insert().values(
                    kid=kid,
                    algorithm=SIGNING_ALGORITHM,
                    private_jwk=json.dumps(private),
                    public_jwk=json.dumps(public),
                    created_at=now,
                    retired_at=None,
                )
            )
        async with self._lock:
            keys = await self._reload()
        return next(k for k in keys if k.kid == kid)

    async def ensure_key(self) -> SigningKey:
        """The key that signs now, made first if the database has none."""
        async with self._lock:
            keys = await self._reload()
        active = [k for k in keys if k.active]
        if active:
            return active[0]
        # Two replicas starting on an empty database may both get here and each add a key: harmless, both
        # are published and the newest signs.
        return await self._insert(retire_others=False)

    async def rotate(self) -> SigningKey:
        """Make a new key the one that signs; the old one keeps validating until its tokens expire."""
        return await self._insert(retire_others=True)

    async def signing_key(self) -> SigningKey:
        """The newest active key (made if there is none)."""
        for key in await self._cached():
            if key.active:
                return key
        return await self.ensure_key()

    async def public_key(self, kid: str) -> Key | None:
        """The public key with this `kid`, if it is published; None otherwise.

        An unknown `kid` makes the keys be read again (rate-limited), so a key made by `hub keys rotate` in
        another process is found without a restart.
        """
        loaded_at = self._loaded_at
        keys = await self._cached()
        found = next((k for k in keys if k.kid == kid), None)
        just_loaded = self._loaded_at != loaded_at
        if (
            found is None
            and not just_loaded
            and time.monotonic() - self._refreshed_at >= self.refresh_seconds
        ):
            async with self._lock:
                if time.monotonic() - self._refreshed_at >= self.refresh_seconds:
                    self._refreshed_at = time.monotonic()
                    keys = await self._reload()
                else:
                    keys = self._keys or []
            found = next((k for k in keys if k.kid == kid), None)
        if found is None or not self._published(found, datetime.now(UTC)):
            return None
        return found.public

    async def jwks(self) -> dict[str, Any]:
        """The published public keys as a JWK Set (RFC 7517), newest first: never a private part."""
        now = datetime.now(UTC)
        keys = [k.public_jwk() for k in await self._cached() if self._published(k, now)]
        return {"keys": keys}
