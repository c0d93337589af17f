"""External issuers: a force's own identity provider, whose access tokens the hub accepts like its own.

They are listed in a TOML file (setting `trusted_issuers_file`), one `[[issuers]]` table each:

    [[issuers]]
    issuer = "https://idp.northshire.police.example"    # required: the exact `iss`
    audience = "urn:police-hub:graphql"                 # optional: the `aud` required (default: the hub's)
    jwks_url = "https://idp.northshire.police.example/jwks"   # one of jwks_url (https; http on loopback)
    # jwks_file = "northshire-jwks.json"                #   or jwks_file (relative to this file)
    scope_claim = "scp"                                 # scope (space-separated) | scp | roles
    organisation = "Northshire Police"                  # one of a fixed organisation name
    # organisation_claim = "org"                        #   or the claim that holds it
    organisation_type = "police-force"                  # required: see OrganisationType
    purposes = ["investigation", "officer-safety"]      # optional: purposes its callers may state

Their tokens pass the same checks as the hub's own (algorithm allow-list, signature, `iss`, `aud`, `exp`,
`nbf`, `iat`), but not the client revocation check: revoking those clients is the issuer's business. Only
scopes the hub knows are kept from the scope claim. The client is `client_id`, else `azp`, else `sub`.

The JWKS is fetched with httpx, kept for `jwks_cache_seconds`, and fetched again when a token names an
unknown `kid` (at most once every `jwks_refresh_seconds`). If a fetch fails, the keys held are kept.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc.jwk import Key, import_key

from hub.auth.principal import OrganisationType, Principal
from hub.auth.scopes import SCOPES

__all__ = ["SCOPE_CLAIMS", "IssuerConfig", "IssuerConfigError", "TrustedIssuer", "TrustedIssuers"]

log = logging.getLogger(__name__)

SCOPE_CLAIMS = ("scope", "scp", "roles")
_KEYS = {
    "issuer",
    "audience",
    "jwks_url",
    "jwks_file",
    "scope_claim",
    "organisation",
    "organisation_claim",
    "organisation_type",
    "purposes",
}


class IssuerConfigError(ValueError):
    """The trusted issuers file is wrong; the message lists every problem found."""


@dataclass(frozen=True)
class IssuerConfig:
    """One external issuer, as configured."""

    issuer: str
    audience: str
    organisation_type: OrganisationType
    jwks_url: str | None = None
    jwks_file: Path | None = None
    scope_claim: str = "scope"
    organisation: str | None = None
    organisation_claim: str | None = None
    purposes: frozenset[str] | None = None


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(
    raw: Any, where: str, base: Path, default_audience: str, problems: list[str]
) -> IssuerConfig | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table")
        return None
    start = len(problems)
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"{where}: unknown key {key!r} (valid: {', '.join(sorted(_KEYS))})")

    def text(key: str, required: bool = False) -> str | None:
        value = raw.get(key)
        if value is None:
            if required:
                problems.append(f"{where}: {key!r} is required")
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{where}: {key!r} = {value!r} must be a non-empty string")
            return None
        return value

    issuer = text("issuer", required=True)
    audience = text("audience") or default_audience
    jwks_url, jwks_file = text("jwks_url"), text("jwks_file")
    if (jwks_url is None) == (jwks_file is None):
        problems.append(f"{where}: give exactly one of 'jwks_url' and 'jwks_file'")
    if jwks_url is not None:
        parts = urlsplit(jwks_url)
        if not (parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))):
            problems.append(f"{where}: 'jwks_url' = {jwks_url!r} must be https (http only on loopback)")
    key_file = (base / jwks_file) if jwks_file is not None else None
    if key_file is not None and not key_file.is_file():
        problems.append(f"{where}: 'jwks_file' = {jwks_file!r}: no such file ({key_file})")
    scope_claim = text("scope_claim") or "scope"
    if scope_claim not in SCOPE_CLAIMS:
        problems.append(f"{where}: 'scope_claim' = {scope_claim!r} must be one of {', '.join(SCOPE_CLAIMS)}")
    organisation, organisation_claim = text("organisation"), text("organisation_claim")
    if (organisation is None) == (organisation_claim is None):
        problems.append(f"{where}: give exactly one of 'organisation' and 'organisation_claim'")
    kind: OrganisationType | None = None
    kind_text = text("organisation_type", required=True)
    if kind_text is not None:
        try:
            kind = OrganisationType(kind_text)
        except ValueError:
            valid = ", ".join(t.value for t in OrganisationType)
            problems.append(f"{where}: 'organisation_type' = {kind_text!r} must be one of {valid}")
    purposes: frozenset[str] | None = None
    if "purposes" in raw:
        value = raw["purposes"]
        if not isinstance(value, list) or not value or not all(isinstance(p, str) and p for p in value):
            problems.append(f"{where}: 'purposes' must be a non-empty list of purpose codes")
        else:
            purposes = frozenset(value)
    if len(problems) > start or issuer is None or kind is None:
        return None
    return IssuerConfig(
        issuer=issuer,
        audience=audience,
        organisation_type=kind,
        jwks_url=jwks_url,
        jwks_file=key_file,
        scope_claim=scope_claim,
        organisation=organisation,
        organisation_claim=organisation_claim,
        purposes=purposes,
    )


def _import_keys(document: Any) -> list[Key]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set: no 'keys' list")
    keys: list[Key] = []
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
            continue
        try:
            keys.append(import_key(raw))
        except Exception as exc:  # one odd key (an unsupported curve, say) must not hide the others
            log.warning("Skipping a key of a trusted issuer's JWKS: %s", exc)
    return keys


class TrustedIssuer:
    """An external issuer: its configuration, and its keys (fetched and cached)."""

    def __init__(self, config: IssuerConfig, owner: TrustedIssuers) -> None:
        self.config = config
        self._owner = owner
        self._keys: list[Key] = []
        self._next_load = float("-inf")  # when the keys are read again
        self._refreshed_at = float("-inf")  # the last reload an unknown kid caused
        self._lock = asyncio.Lock()

    async def _fetch(self) -> list[Key]:
        if self.config.jwks_file is not None:
            document = await asyncio.to_thread(self.config.jwks_file.read_text, encoding="utf-8")
            return _import_keys(json.loads(document))
        assert self.config.jwks_url is not None
        response = await self._owner.http().get(self.config.jwks_url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return _import_keys(response.json())

    async def _reload(self) -> None:
        try:
            self._keys = await self._fetch()
            self._next_load = time.monotonic() + self._owner.cache_seconds
        except (httpx.HTTPError, OSError, ValueError) as exc:
            # Keep the keys held: an issuer's JWKS endpoint having a bad minute must not log everyone out.
            # Try again after refresh_seconds, not at every request: an unreachable IdP would slow them all.
            log.warning("Could not load the JWKS of trusted issuer %s: %s", self.config.issuer, exc)
            self._next_load = time.monotonic() + self._owner.refresh_seconds

    async def refresh(self) -> None:
        """Read the issuer's keys now (failures are logged; the keys held are kept)."""
        async with self._lock:
            await self._reload()

    async def public_key(self, kid: str | None) -> Key | None:
        """The issuer's key with this `kid` (or its only key, when the token names none); else None.

        An unknown `kid` makes the keys be read again (at most once every `refresh_seconds`): that is how
        the issuer's new keys are found.
        """
        reloaded = False
        if time.monotonic() >= self._next_load:
            async with self._lock:
                if time.monotonic() >= self._next_load:
                    await self._reload()
                    reloaded = True
        found = self._find(kid)
        if (
            found is None
            and not reloaded
            and time.monotonic() - self._refreshed_at >= self._owner.refresh_seconds
        ):
            async with self._lock:
                if time.monotonic() - self._refreshed_at >= self._owner.refresh_seconds:
                    self._refreshed_at = time.monotonic()
                    await self._reload()
            found = self._find(kid)
        return found

    def _find(self, kid: str | None) -> Key | None:
        keys = self._keys
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((k for k in keys if k.kid == kid), None)

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        """The principal a validated token of this issuer stands for.

        Raises:
            ValueError: a claim the hub needs is missing or malformed (the message is safe to show).
        """
        config = self.config
        client_id = next(
            (
                v
                for v in (claims.get("client_id"), claims.get("azp"), claims.get("sub"))
                if isinstance(v, str) and v
            ),
            None,
        )
        if client_id is None:
            raise ValueError("The token names no client (client_id, azp or sub).")
        organisation = config.organisation
        if config.organisation_claim is not None:
            value = claims.get(config.organisation_claim)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"The token lacks the organisation claim '{config.organisation_claim}'.")
            organisation = value
        raw = claims.get(config.scope_claim)
        if isinstance(raw, str):
            granted = raw.split()
        elif isinstance(raw, list) and all(isinstance(s, str) for s in raw):
            granted = list(raw)
        elif raw is None:
            granted = []
        else:
            raise ValueError(f"The token's '{config.scope_claim}' claim is malformed.")
        subject = claims.get("sub")
        jti = claims.get("jti")
        return Principal(
            client_id=client_id,
            subject=subject if isinstance(subject, str) else None,
            organisation=organisation,
            organisation_type=config.organisation_type,
            scopes=frozenset(s for s in granted if s in SCOPES),
            purposes=config.purposes,
            issuer=config.issuer,
            token_id=jti if isinstance(jti, str) else None,
        )


class TrustedIssuers:
    """Every external issuer the hub trusts, by `iss`. Empty when no file is configured.

    Args:
        configs: The issuers.
        timeout: Seconds to wait for a JWKS.
        cache_seconds: How long a JWKS is kept.
        refresh_seconds: Least time between two fetches caused by an unknown `kid`.
    """

    def __init__(
        self,
        configs: list[IssuerConfig] | tuple[IssuerConfig, ...] = (),
        timeout: float = 5.0,
        cache_seconds: float = 300.0,
        refresh_seconds: float = 30.0,
    ) -> None:
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.refresh_seconds = refresh_seconds
        self._issuers = {c.issuer: TrustedIssuer(c, self) for c in configs}
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def load(
        cls,
        path: Path | None,
        default_audience: str,
        hub_issuer: str | None = None,
        timeout: float = 5.0,
        cache_seconds: float = 300.0,
        refresh_seconds: float = 30.0,
    ) -> TrustedIssuers:
        """Read the trusted issuers file (None: no external issuers).

        Raises:
            IssuerConfigError: the file cannot be read, or any issuer in it is wrong (all are listed).
        """
        if path is None:
            return cls((), timeout, cache_seconds, refresh_seconds)
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise IssuerConfigError(f"Trusted issuers file {path}: cannot read it: {exc}") from None
        problems: list[str] = []
        for key in sorted(set(document) - {"issuers"}):
            problems.append(f"unknown top-level key {key!r} (issuers go in [[issuers]] tables)")
        entries = document.get("issuers", [])
        if not isinstance(entries, list):
            problems.append("'issuers' must be an array of tables ([[issuers]])")
            entries = []
        configs: list[IssuerConfig] = []
        for index, raw in enumerate(entries):
            config = _parse(raw, f"issuers[{index}]", path.parent, default_audience, problems)
            if config is None:
                continue
            if config.issuer == hub_issuer:
                problems.append(f"issuers[{index}]: {config.issuer!r} is the hub's own issuer")
            elif any(c.issuer == config.issuer for c in configs):
                problems.append(f"issuers[{index}]: {config.issuer!r} is listed twice")
            else:
                configs.append(config)
        if problems:
            raise IssuerConfigError(f"Trusted issuers file {path}:\n  " + "\n  ".join(problems))
        return cls(configs, timeout, cache_seconds, refresh_seconds)

    def http(self) -> httpx.AsyncClient:
        """The HTTP client JWKS are fetched with (made on first use, in the running event loop)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        return self._http

    async def prefetch(self) -> None:
        """Read every issuer's keys now, concurrently, so the first tokens need not wait (failures logged)."""
        await asyncio.gather(*(issuer.refresh() for issuer in self._issuers.values()))

    def get(self, issuer: object) -> TrustedIssuer | None:
        """The trusted issuer with this `iss`, if any."""
        return self._issuers.get(issuer) if isinstance(issuer, str) else None

    def __iter__(self) -> Iterator[TrustedIssuer]:
        return iter(self._issuers.values())

    def __len__(self) -> int:
        return len(self._issuers)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None
