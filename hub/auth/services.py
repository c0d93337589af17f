"""Access control, assembled: the stores, the token issuer and validator, and the routes.

The hub app builds one `AuthServices` from its settings and its database engine, opens it in the lifespan
(tables, a first signing key), mounts `routes()` and authenticates `/graphql` with its `validator`
(`hub.http.authentication`). The CLI uses the same object to manage clients and keys and to print tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Route

from hub.auth.clients import ClientRecord, ClientStore, UnknownClient
from hub.auth.documents import TrustedDocuments
from hub.auth.endpoints import auth_routes
from hub.auth.issuers import TrustedIssuers
from hub.auth.keys import KeyStore
from hub.auth.person_id_keys import PersonIdKeys
from hub.auth.tokens import IssuedToken, TokenIssuer, TokenValidator
from hub.config.settings import HubSettings

__all__ = ["AuthServices", "ClientNotActive"]


class ClientNotActive(UnknownClient):
    """A token was asked for a client that does not exist or is revoked."""


class AuthServices:
    """Everything access control needs, sharing one database.

    Args:
        engine: The hub's database (the caller owns it and disposes of it).
        clients: The OAuth clients.
        keys: The signing keys.
        issuer: Issues the hub's tokens.
        validator: Validates the hub's and trusted issuers' tokens.
        trusted: The external issuers.
        person_id_keys: The keys that sign person ids.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        clients: ClientStore,
        keys: KeyStore,
        issuer: TokenIssuer,
        validator: TokenValidator,
        trusted: TrustedIssuers,
        person_id_keys: PersonIdKeys,
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.keys = keys
        self.issuer = issuer
        self.validator = validator
        self.trusted = trusted
        self.person_id_keys = person_id_keys
        #: The documents registered for clients (trusted documents).
        self.documents = TrustedDocuments(engine)

    @classmethod
    def from_settings(cls, settings: HubSettings, engine: AsyncEngine) -> AuthServices:
        """Build from the hub's settings. Reads the trusted issuers file now, so a mistake in it stops the
        hub at start.

        Raises:
            hub.auth.issuers.IssuerConfigError: the trusted issuers file is wrong (every problem listed).
        """
        clients = ClientStore(engine, cache_seconds=settings.client_cache_seconds)
        keys = KeyStore(
            engine,
            token_ttl=settings.token_ttl_seconds,
            leeway=settings.token_leeway_seconds,
            cache_seconds=settings.signing_key_cache_seconds,
            refresh_seconds=settings.signing_key_refresh_seconds,
        )
        trusted = TrustedIssuers.load(
            settings.trusted_issuers_file,
            default_audience=settings.token_audience,
            hub_issuer=settings.token_issuer,
            timeout=settings.jwks_timeout_seconds,
            cache_seconds=settings.jwks_cache_seconds,
            refresh_seconds=settings.jwks_refresh_seconds,
        )
        issuer = TokenIssuer(keys, settings.token_issuer, settings.token_audience, settings.token_ttl_seconds)
        validator = TokenValidator(
            keys,
            clients,
            settings.token_issuer,
            settings.token_audience,
            leeway=settings.token_leeway_seconds,
            trusted=trusted,
            cache_size=settings.token_cache_size,
            cache_seconds=settings.token_cache_seconds,
        )
        person_id_keys = PersonIdKeys(
            engine,
            lifetime=timedelta(days=settings.person_id_lifetime_days),
            cache_seconds=settings.person_id_key_cache_seconds,
            refresh_seconds=settings.signing_key_refresh_seconds,
        )
        services = cls(engine, clients, keys, issuer, validator, trusted, person_id_keys)
        services.documents = TrustedDocuments(engine, cache_seconds=settings.client_cache_seconds)
        return services

    async def open(self) -> None:
        """Make the first signing key and person-id key if there are none, and read the trusted issuers'
        keys (an unreachable issuer is logged, not fatal: its keys are fetched again later). The database
        must be migrated (`hub.db.prepare_database`).
        """
        await self.keys.ensure_key()
        await self.person_id_keys.open()
        await self.trusted.prefetch()

    async def aclose(self) -> None:
        """Release what `open` and use took (the HTTP client for external JWKS); not the engine."""
        await self.trusted.aclose()

    def routes(self) -> list[Route]:
        """The token endpoint, the JWKS and the server metadata (`hub.auth.endpoints`)."""
        return auth_routes(self.clients, self.issuer, self.keys)

    async def token_for(self, client_id: str, scopes: Iterable[str] | None = None) -> str:
        """A token for an existing, active client, without its secret (for the demo banner: whoever can
        reach the database can make clients anyway). `issue_for` says more about it.

        Raises:
            as `issue_for`.
        """
        return (await self.issue_for(client_id, scopes))[1].access_token

    async def issue_for(
        self, client_id: str, scopes: Iterable[str] | None = None
    ) -> tuple[ClientRecord, IssuedToken]:
        """A token for an existing, active client, without its secret, and the client it was issued to.

        Args:
            client_id: The client.
            scopes: Some of its scopes; None: all of them.

        Raises:
            ClientNotActive: no such client, or it is revoked.
            hub.auth.tokens.ScopeNotAllowed: a scope asked for is not the client's.
        """
        client = await self.clients.get(client_id)
        if client is None:
            raise ClientNotActive(f"No client {client_id!r}; `hub clients list` shows the clients.")
        if not client.active:
            raise ClientNotActive(f"Client {client_id!r} is revoked; it gets no tokens.")
        return client, await self.issuer.issue(client, scopes)
