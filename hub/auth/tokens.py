"""Access tokens: the hub issues RFC 9068 JWTs, and validates its own and trusted issuers'.

A token the hub issues (client-credentials grant):

    header  {"alg": "ES256", "typ": "at+jwt", "kid": <RFC 7638 thumbprint>}
    claims  iss, aud, sub (= client_id), client_id, exp, iat, nbf, jti, scope (space-separated),
            org, org_type, and purposes (a list) when the client is limited to some

Validation refuses, with a short `error_description` safe to show a caller (never the token itself): what
is not a compact JWS; an `alg` outside the allow-list (asymmetric only: never `none`, never HS*, so a
public key can never be used as an HMAC secret); the hub's own tokens without `typ: at+jwt`; an unknown
`kid`; a bad signature; an `iss` that is neither the hub nor a trusted issuer; a wrong `aud`; an `exp` past,
or an `nbf` / `iat` still to come (with `leeway` seconds of clock skew); and a revoked or unknown client
(the hub's own tokens only).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from cachetools import TLRUCache
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError, SecurityWarning
from joserfc.jwk import Key, KeySet
from joserfc.jwt import ClaimsOption, JWTClaimsRegistry

from hub.auth.clients import ClientRecord, ClientStore
from hub.auth.issuers import TrustedIssuer, TrustedIssuers
from hub.auth.keys import SIGNING_ALGORITHM, KeyStore
from hub.auth.principal import OrganisationType, Principal

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_TOKEN_LENGTH",
    "InvalidToken",
    "IssuedToken",
    "ScopeNotAllowed",
    "TokenIssuer",
    "TokenValidator",
]

#: Signature algorithms a token may use. Asymmetric only: with HS*, anyone holding the (public) verification
#: key could sign; `none` signs nothing. Ed25519 is RFC 9864's fully-specified name for EdDSA over Ed25519.
ALLOWED_ALGORITHMS = frozenset({"ES256", "RS256", "PS256", "EdDSA", "Ed25519"})
#: Longer is not a token the hub issues or a sane IdP would; refusing early bounds the parsing work.
MAX_TOKEN_LENGTH = 8192
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_ORG_TYPES = frozenset(t.value for t in OrganisationType)


class InvalidToken(Exception):
    """The access token is refused. `description` is short and safe to show (RFC 6750 error_description)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class ScopeNotAllowed(ValueError):
    """A token was asked for scopes the client does not have."""


@dataclass(frozen=True)
class IssuedToken:
    """A token the hub issued, as the token endpoint returns it."""

    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"
    #: The token's `jti`: the id every audit event of its requests names.
    jti: str = ""


class _Client:
    """A client as authlib's token generator expects one."""

    def __init__(self, record: ClientRecord, scope: str) -> None:
        self.record = record
        self.scope = scope

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_allowed_scope(self, scope: str | None) -> str:
        return self.scope


class _Generator(JWTBearerTokenGenerator):  # type: ignore[misc]  # authlib is untyped
    """authlib's RFC 9068 generator, signing with the hub's current key and adding the hub's claims."""

    def __init__(self, issuer: str, audience: str, ttl: int, key: Key) -> None:
        super().__init__(issuer, alg=SIGNING_ALGORITHM, expires_generator=ttl)
        self.audience = audience
        self.key = key

    def get_jwks(self) -> KeySet:
        # A key set, not the bare key: joserfc then writes the key's `kid` into the header.
        return KeySet([self.key])

    def get_audiences(self, client: _Client, user: object, scope: str) -> str:
        return self.audience

    def get_jti(self, client: _Client, grant_type: str, user: object, scope: str) -> str:
        return uuid.uuid4().hex

    def get_extra_claims(self, client: _Client, grant_type: str, user: object, scope: str) -> dict[str, Any]:
        record = client.record
        claims: dict[str, Any] = {
            "nbf": int(time.time()),
            "org": record.organisation,
            "org_type": record.organisation_type.value,
        }
        if record.purposes is not None:
            claims["purposes"] = sorted(record.purposes)
        return claims


class TokenIssuer:
    """Issues the hub's access tokens.

    Args:
        keys: The signing keys.
        issuer: The `iss` claim.
        audience: The `aud` claim.
        ttl: Lifetime in seconds.
    """

    def __init__(self, keys: KeyStore, issuer: str, audience: str, ttl: int) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl

    async def issue(self, client: ClientRecord, scopes: Iterable[str] | None = None) -> IssuedToken:
        """A token for `client`, with the scopes asked for (None: all the client's scopes).

        Raises:
            ScopeNotAllowed: a scope asked for is not one of the client's.
        """
        if scopes is None:
            granted = set(client.scopes)
        else:
            granted = set(scopes)
            extra = sorted(granted - client.scopes)
            if extra:
                raise ScopeNotAllowed(f"The client may not have: {' '.join(extra)}.")
            if not granted:
                raise ScopeNotAllowed("No scope asked for.")
        scope = " ".join(sorted(granted))
        key = await self.keys.signing_key()
        generator = _Generator(self.issuer, self.audience, self.ttl, key.private)
        token = generator.generate(
            "client_credentials", _Client(client, scope), scope=scope, include_refresh_token=False
        )
        access_token = token["access_token"]
        jti = str(_peek(access_token)[1].get("jti", ""))
        return IssuedToken(access_token=access_token, expires_in=self.ttl, scope=scope, jti=jti)


def _b64json(segment: str) -> dict[str, Any]:
    if not _SEGMENT.fullmatch(segment):
        raise InvalidToken("The access token is malformed.")
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):
        raise InvalidToken("The access token is malformed.") from None
    if not isinstance(value, dict):
        raise InvalidToken("The access token is malformed.")
    return value


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, not yet verified: only to choose the keys and checks that verify them."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("The access token is too long.")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken("The access token is not a signed JWT.")
    return _b64json(parts[0]), _b64json(parts[1])


def _now() -> float:
    """The wall clock, read when called (so that the verified-token cache and the `exp` check agree)."""
    return time.time()


@dataclass(frozen=True, slots=True)
class _Verified:
    """A token whose signature and claims were checked: its claims, its external issuer (None: the hub's
    own), and until when (epoch seconds) that check stands."""

    claims: dict[str, Any]
    external: TrustedIssuer | None
    until: float


class TokenValidator:
    """Validates access tokens: the hub's own, and those of trusted issuers.

    A token whose signature and claims pass is remembered (keyed by the whole token, at most `cache_size`
    of them) until its `exp` or for `cache_seconds`, whichever is sooner: a client sends the same token
    with every request, and checking an Ed25519 signature and the claims again is most of the cost of
    validating it. What can change while a token lives is still asked every time: whether the hub's
    client is revoked, and its limits (`ClientStore.limits_of`, itself remembered `client_cache_seconds`).

    Args:
        keys: The hub's signing keys.
        clients: The hub's clients (for revocation).
        issuer: The hub's `iss`.
        audience: The `aud` the hub's tokens must carry.
        leeway: Seconds of clock skew allowed for `exp`, `nbf`, `iat`.
        trusted: External issuers whose tokens are accepted too.
        cache_size: Verified tokens remembered (0: check every token in full every time).
        cache_seconds: Longest a verified token is remembered; a signing key withdrawn stops being
            honoured for tokens already seen after at most this long.
    """

    def __init__(
        self,
        keys: KeyStore,
        clients: ClientStore,
        issuer: str,
        audience: str,
        leeway: int = 30,
        trusted: TrustedIssuers | None = None,
        cache_size: int = 10_000,
        cache_seconds: float = 60.0,
    ) -> None:
        self.keys = keys
        self.clients = clients
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.trusted = trusted or TrustedIssuers()
        self.cache_seconds = cache_seconds
        self._verified: TLRUCache[str, _Verified] | None = (
            TLRUCache(maxsize=cache_size, ttu=lambda _token, verified, _now: verified.until, timer=_now)
            if cache_size > 0 and cache_seconds > 0
            else None
        )

    async def validate(self, token: str) -> Principal:
        """The principal the token stands for.

        Raises:
            InvalidToken: the token is refused; its `description` says why.
        """
        verified = self._verified.get(token) if self._verified is not None else None
        if verified is None:
            verified = await self._verify(token)
            if self._verified is not None:
                self._verified[token] = verified
        if verified.external is not None:
            try:
                principal = verified.external.principal(verified.claims)
            except ValueError as exc:
                raise InvalidToken(str(exc)) from None
        else:
            principal = await self._own_principal(verified.claims)
        return dataclasses.replace(principal, expires_at=float(verified.claims["exp"]))

    async def _verify(self, token: str) -> _Verified:
        """Check the token's signature and claims; what they say, and until when that stands."""
        header, unverified = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken("The token's signing algorithm is not accepted.")
        if "crit" in header:  # no critical extension is understood here (RFC 7515 section 4.1.11)
            raise InvalidToken("The token uses an unsupported critical header.")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("The access token is malformed.")
        iss = unverified.get("iss")
        external = None
        if iss == self.issuer:
            typ = header.get("typ")
            if not isinstance(typ, str) or typ.lower() not in ("at+jwt", "application/at+jwt"):
                raise InvalidToken("The token is not an access token (typ must be at+jwt).")
            key = await self.keys.public_key(kid) if kid is not None else None
            audience = self.audience
        elif (external := self.trusted.get(iss)) is not None:
            key = await external.public_key(kid)
            audience = external.config.audience
        else:
            raise InvalidToken("The token's issuer is not trusted.")
        if key is None:
            raise InvalidToken("The token's signing key is not known.")
        if key.alg is not None and key.alg != alg:
            raise InvalidToken("The token's signature is not valid.")
        try:
            with warnings.catch_warnings():
                # joserfc warns on every "EdDSA" token that RFC 9864 deprecates the name; identity providers
                # still send it, and a warning per request says nothing an operator can act on. (No await
                # inside, so no other task runs under this filter.)
                warnings.simplefilter("ignore", SecurityWarning)
                claims = jwt.decode(token, key, algorithms=[alg]).claims
        except (JoseError, ValueError, TypeError):
            raise InvalidToken("The token's signature is not valid.") from None
        self._check_claims(claims, iss, audience, own=external is None)
        return _Verified(claims, external, min(float(claims["exp"]), _now() + self.cache_seconds))

    def _check_claims(self, claims: dict[str, Any], iss: Any, audience: str, own: bool) -> None:
        essential: ClaimsOption = {"essential": True}
        options: dict[str, ClaimsOption] = {
            "iss": {"essential": True, "value": iss},
            "aud": {"essential": True, "value": audience},
            "exp": essential,
        }
        if own:
            options.update(iat=essential, sub=essential, client_id=essential, jti=essential)
        registry = JWTClaimsRegistry(None, self.leeway, **options)
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("The token has expired.") from None
        except MissingClaimError as exc:
            raise InvalidToken(f"The token lacks required claims: {exc.claim}.") from None
        except JoseError as exc:
            claim = getattr(exc, "claim", None)
            if claim in ("nbf", "iat"):
                raise InvalidToken("The token is not valid yet.") from None
            if claim == "aud":
                raise InvalidToken("The token is not meant for this service (aud).") from None
            if claim == "iss":
                raise InvalidToken("The token's issuer is not trusted.") from None
            raise InvalidToken(f"The token's '{claim or 'claims'}' claim is not valid.") from None

    async def _own_principal(self, claims: Mapping[str, Any]) -> Principal:
        client_id = claims["client_id"]
        scope, org, org_type = claims.get("scope", ""), claims.get("org"), claims.get("org_type")
        purposes = claims.get("purposes")
        if not (
            isinstance(client_id, str)
            and isinstance(scope, str)
            and isinstance(org, str)
            and isinstance(org_type, str)
            and org_type in _ORG_TYPES
            and (
                purposes is None or (isinstance(purposes, list) and all(isinstance(p, str) for p in purposes))
            )
        ):
            raise InvalidToken("The token's claims are malformed.")
        limits = await self.clients.limits_of(client_id)
        if limits is None:
            raise InvalidToken("The client is unknown or has been revoked.")
        return Principal(
            client_id=client_id,
            subject=claims["sub"],
            organisation=org,
            organisation_type=OrganisationType(org_type),
            scopes=frozenset(scope.split()),
            purposes=frozenset(purposes) if purposes is not None else None,
            issuer=self.issuer,
            token_id=claims["jti"],
            limits=limits,
        )
