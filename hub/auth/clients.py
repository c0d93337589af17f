"""OAuth clients: who may ask the hub for a token, for which organisation, scopes and purposes.

A client's secret is shown once, when the client is made, and stored only as a salted scrypt hash. Whether
a client is still active is asked on every request (a revoked client's tokens stop working at once, not
when they expire), so that answer is cached in memory for a few seconds (`client_cache_seconds`): the hot
path costs no database round trip, and a revocation reaches every replica within that time.

Errors (all `ValueError`, so a caller can show the message as it is):

    ClientError         the request is wrong: unknown scope, bad client id, ...
    ├── DuplicateClient a client with that id exists
    └── UnknownClient   no client with that id
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.principal import ClientLimits, OrganisationType, Principal
from hub.auth.scopes import SCOPES
from hub.auth.tables import oauth_client
from hub.config.settings import check_rate_limits
from hub.db import as_utc

__all__ = [
    "ClientError",
    "ClientRecord",
    "ClientStore",
    "DuplicateClient",
    "UnknownClient",
    "check_rate_limit",
    "hash_secret",
    "verify_secret",
]

_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PURPOSE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
MIN_SECRET_LENGTH = 16

# scrypt at N=2^14, r=8, p=1 (16 MiB, tens of milliseconds): the interactive-login parameters of the
# scrypt paper. Secrets are random, not passwords, but the hash must still not be cheap to brute-force
# if the database leaks. The parameters are stored with each hash, so they can be raised later.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _SCRYPT_LEN = 2**14, 8, 1, 32


class ClientError(ValueError):
    """A client cannot be made or changed as asked; the message says why."""


class DuplicateClient(ClientError):
    """A client with this id exists already."""


class UnknownClient(ClientError):
    """No client has this id."""


@dataclass(frozen=True)
class ClientRecord:
    """An OAuth client as the hub knows it (never its secret)."""

    client_id: str
    organisation: str
    organisation_type: OrganisationType
    scopes: frozenset[str]
    #: Purpose codes the client may state; None means any.
    purposes: frozenset[str] | None
    description: str
    created_at: datetime
    revoked_at: datetime | None = None
    limits: ClientLimits = field(default_factory=ClientLimits)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def principal(self) -> Principal:
        """Who acts as this client when no token says more (no end user): an operator's command run as the
        client, a watch the client made."""
        return Principal(
            client_id=self.client_id,
            organisation=self.organisation,
            organisation_type=self.organisation_type,
            scopes=self.scopes,
            purposes=self.purposes,
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    """The stored form of a client secret: `scrypt$N$r$p$salt$hash`, with a fresh random salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=_SCRYPT_LEN
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """Whether `secret` is the one `encoded` was made from (constant time in the secret)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _split(text: str | None) -> frozenset[str] | None:
    return None if text is None else frozenset(text.split())


def _record(row: Any) -> ClientRecord:
    return ClientRecord(
        client_id=row.client_id,
        organisation=row.organisation,
        organisation_type=OrganisationType(row.organisation_type),
        scopes=frozenset(row.scopes.split()),
        purposes=_split(row.purposes),
        description=row.description,
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at is not None else None,
        limits=_limits(row),
    )


def _limits(row: Any) -> ClientLimits:
    return ClientLimits(row.rate_limit, row.max_query_cost, bool(row.trusted_documents_only))


def _checked(limits: ClientLimits) -> ClientLimits:
    """The limits, checked (the rate limit stripped).

    Raises:
        ClientError: one is not acceptable.
    """
    if limits.max_query_cost is not None and limits.max_query_cost < 1:
        raise ClientError(f"a cost budget must be 1 or more, not {limits.max_query_cost}")
    if limits.rate_limit is None:
        return limits
    return dataclasses.replace(limits, rate_limit=check_rate_limit(limits.rate_limit))


def check_rate_limit(text: str) -> str:
    """`text`, stripped, if it is rate limits in the `limits` notation (`hub.config.settings`).

    Raises:
        ClientError: it is not.
    """
    try:
        return check_rate_limits(text)
    except ValueError as exc:
        raise ClientError(str(exc)) from None


class ClientStore:
    """The hub's OAuth clients, in its database.

    Args:
        engine: The hub's database.
        cache_seconds: How long `limits_of` (and `is_active`) trusts its memory (0: ask the database every
            time).
    """

    def __init__(self, engine: AsyncEngine, cache_seconds: float = 5.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._active: dict[str, tuple[ClientLimits | None, float]] = {}
        self._dummy_hash: str | None = None

    async def add(
        self,
        client_id: str,
        organisation: str,
        organisation_type: OrganisationType | str,
        scopes: Iterable[str],
        purposes: Iterable[str] | None = None,
        description: str = "",
        secret: str | None = None,
        limits: ClientLimits | None = None,
    ) -> str:
        """Register a client and return its secret (the only time it can be read).

        Args:
            client_id: Letters, digits, `.`, `_` and `-`, up to 64 characters.
            organisation: The organisation the client acts for (the `org` claim).
            organisation_type: One of `OrganisationType` (the `org_type` claim).
            scopes: The scopes its tokens may carry: names from `hub.auth.scopes.SCOPES`.
            purposes: The purpose codes it may state; None: any purpose.
            description: Free text for the operators.
            secret: Its secret (16 characters or more); None: a random one.
            limits: Its rate limits, cost budget and trusted-documents mode; None: the hub's defaults.

        Raises:
            ClientError: a value is not acceptable (the message names it and says what is).
            DuplicateClient: the id is taken.
        """
        kind = self._check(client_id, organisation, organisation_type, scopes, purposes, secret)
        limits = _checked(limits or ClientLimits())
        secret = secret if secret is not None else secrets.token_urlsafe(32)
        scope_list = sorted(set(scopes))
        purpose_text = " ".join(sorted(set(purposes))) if purposes is not None else None
        secret_hash = await asyncio.to_thread(hash_secret, secret)
        try:
            async with self.engine.begin() as conn:
                existing = await conn.scalar(
                    select(oauth_client.c.client_id).where(oauth_client.c.client_id == client_id)
                )
                if existing is not None:
                    raise DuplicateClient(f"Client {client_id!r} exists already; choose another id.")
                await conn.execute(
                    oauth_client.insert().values(
                        client_id=client_id,
                        secret_hash=secret_hash,
                        organisation=organisation.strip(),
                        organisation_type=kind.value,
                        scopes=" ".join(scope_list),
                        purposes=purpose_text,
                        description=description,
                        created_at=datetime.now(UTC),
                        revoked_at=None,
                        rate_limit=limits.rate_limit,
                        max_query_cost=limits.max_query_cost,
                        trusted_documents_only=limits.trusted_documents_only,
                    )
                )
        except IntegrityError as exc:  # another process added the same id between our check and insert
            raise DuplicateClient(f"Client {client_id!r} exists already; choose another id.") from exc
        self._active.pop(client_id, None)
        return secret

    @staticmethod
    def _check(
        client_id: str,
        organisation: str,
        organisation_type: OrganisationType | str,
        scopes: Iterable[str],
        purposes: Iterable[str] | None,
        secret: str | None,
    ) -> OrganisationType:
        problems: builtins.list[str] = []
        if not _CLIENT_ID.fullmatch(client_id):
            problems.append(
                f"client id {client_id!r} must be 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if not organisation.strip():
            problems.append("the organisation must not be empty")
        kind: OrganisationType | None = None
        try:
            kind = OrganisationType(organisation_type)
        except ValueError:
            valid = ", ".join(t.value for t in OrganisationType)
            problems.append(f"organisation type {organisation_type!r} is not one of: {valid}")
        scope_set = set(scopes)
        unknown = sorted(scope_set - set(SCOPES))
        if unknown:
            problems.append(f"unknown scopes {unknown} (known: {', '.join(SCOPES)})")
        elif not scope_set:
            problems.append("a client needs at least one scope")
        if purposes is not None:
            purpose_set = set(purposes)
            bad = sorted(p for p in purpose_set if not _PURPOSE.fullmatch(p))
            if bad:
                problems.append(f"purpose codes {bad} must be lower-case letters, digits and '-'")
            elif not purpose_set:
                problems.append("purposes, when given, must name at least one (leave them out for any)")
        if secret is not None and len(secret) < MIN_SECRET_LENGTH:
            problems.append(f"a client secret must be at least {MIN_SECRET_LENGTH} characters")
        if problems or kind is None:
            raise ClientError("Cannot add the client: " + "; ".join(problems) + ".")
        return kind

    async def authenticate(self, client_id: str, secret: str) -> ClientRecord | None:
        """The client, if `secret` is its secret and it is not revoked; else None."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(oauth_client).where(oauth_client.c.client_id == client_id))
            ).first()
        if row is None:
            # Hash anyway, so that an unknown id takes as long to refuse as a wrong secret.
            await asyncio.to_thread(verify_secret, secret, await self._dummy())
            return None
        if not await asyncio.to_thread(verify_secret, secret, row.secret_hash):
            return None
        record = _record(row)
        return record if record.active else None

    async def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_secret, secrets.token_urlsafe(32))
        return self._dummy_hash

    async def get(self, client_id: str) -> ClientRecord | None:
        """The client with this id, revoked or not; None if there is none."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(oauth_client).where(oauth_client.c.client_id == client_id))
            ).first()
        return _record(row) if row is not None else None

    async def require(self, client_id: str) -> ClientRecord:
        """The client with this id, revoked or not.

        Raises:
            UnknownClient: there is no such client (the message says where to look).
        """
        record = await self.get(client_id)
        if record is None:
            raise UnknownClient(f"No client {client_id!r}; `hub clients list` shows the clients.")
        return record

    async def list(self, include_revoked: bool = True) -> builtins.list[ClientRecord]:
        """Every client, by id."""
        query = select(oauth_client).order_by(oauth_client.c.client_id)
        if not include_revoked:
            query = query.where(oauth_client.c.revoked_at.is_(None))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(row) for row in rows]

    async def revoke(self, client_id: str) -> ClientRecord:
        """Revoke a client: no new tokens, and its tokens are refused within `cache_seconds`.

        Revoking a revoked client changes nothing.

        Raises:
            UnknownClient: there is no such client.
        """
        async with self.engine.begin() as conn:
            await conn.execute(
                update(oauth_client)
                .where(oauth_client.c.client_id == client_id, oauth_client.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        self._active.pop(client_id, None)
        return await self.require(client_id)

    async def set_limits(self, client_id: str, limits: ClientLimits) -> ClientRecord:
        """Change a client's rate limits, cost budget and trusted-documents mode (all three, as given);
        every replica applies them within `cache_seconds`.

        Raises:
            ClientError: a limit is not acceptable.
            UnknownClient: there is no such client.
        """
        limits = _checked(limits)
        async with self.engine.begin() as conn:
            await conn.execute(
                update(oauth_client)
                .where(oauth_client.c.client_id == client_id)
                .values(
                    rate_limit=limits.rate_limit,
                    max_query_cost=limits.max_query_cost,
                    trusted_documents_only=limits.trusted_documents_only,
                )
            )
        self._active.pop(client_id, None)
        return await self.require(client_id)

    async def is_active(self, client_id: str) -> bool:
        """Whether the client exists and is not revoked: from memory if asked within `cache_seconds`."""
        return await self.limits_of(client_id) is not None

    async def limits_of(self, client_id: str) -> ClientLimits | None:
        """The limits of an active client; None if it does not exist or is revoked. From memory if asked
        within `cache_seconds`: every request asks, and a change or a revocation must reach every replica."""
        now = time.monotonic()
        cached = self._active.get(client_id)
        if cached is not None and now - cached[1] < self.cache_seconds:
            return cached[0]
        columns = (
            oauth_client.c.revoked_at,
            oauth_client.c.rate_limit,
            oauth_client.c.max_query_cost,
            oauth_client.c.trusted_documents_only,
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(*columns).where(oauth_client.c.client_id == client_id))).first()
        limits = None
        if row is not None and row.revoked_at is None:
            limits = _limits(row)
        if self.cache_seconds > 0:
            self._active[client_id] = (limits, now)
        return limits
