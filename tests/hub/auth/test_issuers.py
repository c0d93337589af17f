"""External issuers: a force's own identity provider, its keys from a file or a URL, its scope claims."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.demo.serve import ServerThread
from hub.auth.issuers import IssuerConfigError, TrustedIssuers
from hub.auth.principal import OrganisationType
from hub.auth.services import AuthServices
from hub.auth.tokens import InvalidToken
from hub.config.settings import HubSettings
from hub.http.authentication import BearerAuth
from tests.hub.auth.conftest import BASE, echo_app, sign

IDP = "https://idp.northshire.example"
AUDIENCE = "urn:police-hub:graphql"


def rsa_key(kid: str = "rsa-1") -> RSAKey:
    return RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"}, private=True)


def jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) for k in keys]}


def idp_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": IDP,
        "aud": AUDIENCE,
        "sub": "officer-4471",
        "iat": now,
        "exp": now + 300,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def key() -> RSAKey:
    return rsa_key()


@pytest.fixture
def issuers_file(tmp_path: Path, key: RSAKey) -> Path:
    (tmp_path / "northshire-jwks.json").write_text(json.dumps(jwks(key)), encoding="utf-8")
    path = tmp_path / "issuers.toml"
    path.write_text(
        f"""
[[issuers]]
issuer = "{IDP}"
jwks_file = "northshire-jwks.json"
scope_claim = "scp"
organisation = "Northshire Police"
organisation_type = "police-force"
purposes = ["investigation", "officer-safety"]
""",
        encoding="utf-8",
    )
    return path


async def open_services(settings: HubSettings, engine: AsyncEngine, path: Path, **extra: Any) -> AuthServices:
    services = AuthServices.from_settings(
        settings.model_copy(update={"trusted_issuers_file": path, **extra}), engine
    )
    await services.open()
    return services


@pytest.fixture
async def trusting(
    settings: HubSettings, engine: AsyncEngine, issuers_file: Path
) -> AsyncIterator[AuthServices]:
    services = await open_services(settings, engine, issuers_file)
    yield services
    await services.aclose()


async def test_a_token_from_a_jwks_file_issuer_with_an_scp_list_is_accepted(
    trusting: AuthServices, key: RSAKey
) -> None:
    token = sign(
        {"alg": "RS256", "typ": "JWT", "kid": "rsa-1"},
        idp_claims(
            azp="niche-rms", scp=["person:read", "markers:read", "openid", "offline_access"], jti="t-1"
        ),
        key,
    )
    principal = await trusting.validator.validate(token)
    assert principal.client_id == "niche-rms"
    assert principal.subject == "officer-4471"
    assert principal.organisation == "Northshire Police"
    assert principal.organisation_type is OrganisationType.POLICE_FORCE
    assert principal.scopes == frozenset({"person:read", "markers:read"})  # unknown scopes dropped
    assert principal.purposes == frozenset({"investigation", "officer-safety"})
    assert principal.issuer == IDP
    assert principal.token_id == "t-1"


async def test_such_a_token_opens_graphql_over_http(trusting: AuthServices, key: RSAKey) -> None:
    token = sign({"alg": "RS256", "kid": "rsa-1"}, idp_claims(client_id="niche-rms", scp="person:read"), key)
    transport = httpx.ASGITransport(app=BearerAuth(echo_app(trusting), trusting.validator))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        response = await http.post("/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["scopes"] == ["person:read"]


@pytest.mark.parametrize(
    ("overrides", "header", "message"),
    [
        ({"aud": "https://some-other-api"}, {}, "aud"),
        ({"exp": int(time.time()) - 3600}, {}, "expired"),
        ({"nbf": int(time.time()) + 3600}, {}, "not valid yet"),
        ({"iss": "https://idp.elsewhere.example"}, {}, "issuer is not trusted"),
        ({}, {"kid": "not-a-key-of-theirs"}, "signing key is not known"),
        ({}, {"alg": "HS256"}, "algorithm"),
        ({"sub": None}, {}, "names no client"),
    ],
    ids=["audience", "expired", "not-yet", "issuer", "kid", "hs256", "no-client"],
)
async def test_external_tokens_pass_the_same_checks(
    trusting: AuthServices, key: RSAKey, overrides: dict[str, Any], header: dict[str, Any], message: str
) -> None:
    head = {"alg": "RS256", "kid": "rsa-1", **header}
    if head["alg"] == "HS256":
        from joserfc.jwk import OctKey

        token = sign(head, idp_claims(**overrides), OctKey.generate_key(256))
    else:
        token = sign(head, idp_claims(**overrides), key)
    with pytest.raises(InvalidToken, match=message):
        await trusting.validator.validate(token)


async def test_a_token_signed_by_another_key_under_the_issuers_kid_is_refused(trusting: AuthServices) -> None:
    token = sign({"alg": "RS256", "kid": "rsa-1"}, idp_claims(scp="person:read"), rsa_key())
    with pytest.raises(InvalidToken, match="signature"):
        await trusting.validator.validate(token)


@pytest.fixture
def idp() -> Iterator[dict[str, Any]]:
    """A tiny identity provider on loopback publishing a JWKS that the test can change."""
    state: dict[str, Any] = {"keys": [], "hits": 0, "failing": False}

    async def serve_jwks(request: Request) -> Response:
        state["hits"] += 1
        if state["failing"]:
            return JSONResponse({"error": "down for maintenance"}, 503)
        return JSONResponse(jwks(*state["keys"]))

    server = ServerThread(Starlette(routes=[Route("/jwks", serve_jwks)])).start()
    state["url"] = f"{server.url}/jwks"
    yield state
    server.stop()


def url_issuer_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "url-issuers.toml"
    path.write_text(
        f"""
[[issuers]]
issuer = "{IDP}"
audience = "api://police-hub"
jwks_url = "{url}"
scope_claim = "roles"
organisation_claim = "force_name"
organisation_type = "police-force"
""",
        encoding="utf-8",
    )
    return path


async def test_a_jwks_url_issuer_with_roles_is_accepted_and_its_new_keys_found(
    settings: HubSettings, engine: AsyncEngine, tmp_path: Path, idp: dict[str, Any]
) -> None:
    first, second = (
        ECKey.generate_key("P-256", {"kid": "ec-1"}, private=True),
        OKPKey.generate_key("Ed25519", {"kid": "ed-2"}, private=True),
    )
    idp["keys"] = [first]
    services = await open_services(
        settings, engine, url_issuer_file(tmp_path, idp["url"]), jwks_refresh_seconds=0
    )
    try:
        claims = idp_claims(
            aud="api://police-hub", roles=["person:match", "custody:read"], force_name="Eastvale Police"
        )
        principal = await services.validator.validate(sign({"alg": "ES256", "kid": "ec-1"}, claims, first))
        assert principal.scopes == frozenset({"person:match", "custody:read"})
        assert principal.organisation == "Eastvale Police"
        assert principal.purposes is None

        # The IdP rotates: a token under a kid the hub has not seen makes it fetch the JWKS again.
        idp["keys"] = [first, second]
        hits = idp["hits"]
        principal = await services.validator.validate(sign({"alg": "EdDSA", "kid": "ed-2"}, claims, second))
        assert principal.client_id == "officer-4471"
        assert idp["hits"] == hits + 1
        # RFC 9864's fully-specified name for the same algorithm.
        await services.validator.validate(sign({"alg": "Ed25519", "kid": "ed-2"}, claims, second))

        # Still cached: a known kid costs no fetch.
        await services.validator.validate(sign({"alg": "ES256", "kid": "ec-1"}, claims, first))
        assert idp["hits"] == hits + 1

        with pytest.raises(InvalidToken, match="organisation claim"):
            await services.validator.validate(
                sign({"alg": "ES256", "kid": "ec-1"}, idp_claims(aud="api://police-hub", roles=[]), first)
            )
    finally:
        await services.aclose()


async def test_unknown_kids_fetch_the_jwks_at_most_once_per_interval(
    settings: HubSettings, engine: AsyncEngine, tmp_path: Path, idp: dict[str, Any]
) -> None:
    key = ECKey.generate_key("P-256", {"kid": "ec-1"}, private=True)
    idp["keys"] = [key]
    services = await open_services(settings, engine, url_issuer_file(tmp_path, idp["url"]))
    try:
        for n in range(10):
            token = sign({"alg": "ES256", "kid": f"made-up-{n}"}, idp_claims(aud="api://police-hub"), key)
            with pytest.raises(InvalidToken):
                await services.validator.validate(token)
        assert idp["hits"] <= 2  # the first load, and at most one refetch
    finally:
        await services.aclose()


async def test_a_failing_jwks_endpoint_keeps_the_keys_held_and_is_not_asked_every_request(
    settings: HubSettings, engine: AsyncEngine, tmp_path: Path, idp: dict[str, Any]
) -> None:
    key = ECKey.generate_key("P-256", {"kid": "ec-1"}, private=True)
    idp["keys"] = [key]
    services = await open_services(
        settings,
        engine,
        url_issuer_file(tmp_path, idp["url"]),
        jwks_cache_seconds=0,
        jwks_refresh_seconds=3600,
    )
    try:
        claims = idp_claims(aud="api://police-hub", force_name="Eastvale Police")
        token = sign({"alg": "ES256", "kid": "ec-1"}, claims, key)
        idp["failing"] = True
        hits = idp["hits"]
        for _ in range(10):
            assert (await services.validator.validate(token)).client_id == "officer-4471"
        assert idp["hits"] == hits + 1  # one failed fetch, then a pause of jwks_refresh_seconds
    finally:
        await services.aclose()


async def test_an_unreachable_jwks_refuses_the_token_without_crashing(
    settings: HubSettings, engine: AsyncEngine, tmp_path: Path
) -> None:
    services = await open_services(
        settings, engine, url_issuer_file(tmp_path, "http://127.0.0.1:9/jwks"), jwks_timeout_seconds=1
    )
    try:
        token = sign(
            {"alg": "ES256", "kid": "k"}, idp_claims(aud="api://police-hub"), ECKey.generate_key("P-256")
        )
        with pytest.raises(InvalidToken, match="signing key is not known"):
            await services.validator.validate(token)
    finally:
        await services.aclose()


def test_every_problem_in_the_issuers_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[[issuers]]
issuer = "https://a.example"
jwks_url = "http://a.example/jwks"
scope_claim = "groups"
organisation_type = "bank"
colour = "blue"

[[issuers]]
issuer = "urn:police-hub"
jwks_file = "missing.json"
organisation = "X"
organisation_claim = "org"
organisation_type = "police-force"
""",
        encoding="utf-8",
    )
    with pytest.raises(IssuerConfigError) as caught:
        TrustedIssuers.load(path, AUDIENCE, hub_issuer="urn:police-hub")
    message = str(caught.value)
    for fragment in [
        "issuers[0]: unknown key 'colour'",
        "'jwks_url' = 'http://a.example/jwks' must be https",
        "'scope_claim' = 'groups'",
        "exactly one of 'organisation' and 'organisation_claim'",
        "'organisation_type' = 'bank'",
        "issuers[1]: 'jwks_file' = 'missing.json': no such file",
    ]:
        assert fragment in message


def test_an_issuer_claiming_to_be_the_hub_is_refused(tmp_path: Path, issuers_file: Path) -> None:
    text = issuers_file.read_text(encoding="utf-8").replace(IDP, "urn:police-hub")
    issuers_file.write_text(text, encoding="utf-8")
    with pytest.raises(IssuerConfigError, match="the hub's own issuer"):
        TrustedIssuers.load(issuers_file, AUDIENCE, hub_issuer="urn:police-hub")


def test_an_unreadable_issuers_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[[issuers]\n", encoding="utf-8")
    with pytest.raises(IssuerConfigError, match="cannot read it"):
        TrustedIssuers.load(path, AUDIENCE)
