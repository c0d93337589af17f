"""Forged, stale and misdirected tokens: each gets 401, the RFC 6750 challenge, and no data."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from hub.auth.services import AuthServices
from hub.auth.tokens import InvalidToken
from tests.hub.auth.conftest import b64, b64json, claims_of, header_of, sign

pytestmark = pytest.mark.usefixtures("investigator")


@pytest.fixture
async def investigator(services: AuthServices) -> str:
    await services.clients.add(
        "investigator", "Northshire Police", "police-force", ["person:read", "intel:read"]
    )
    return await services.token_for("investigator")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": "urn:police-hub",
        "aud": "urn:police-hub:graphql",
        "sub": "investigator",
        "client_id": "investigator",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "scope": "person:read intel:read",
        "org": "Northshire Police",
        "org_type": "police-force",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


async def hub_signed(services: AuthServices, **overrides: Any) -> str:
    """Signed with the hub's real key: only the claims are wrong."""
    key = await services.keys.signing_key()
    return sign({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, claims(**overrides), key.private)


async def refused(http: httpx.AsyncClient, authorization: str, error: str = "invalid_token") -> str:
    response = await http.post("/graphql", headers={"Authorization": authorization})
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="hub", ')
    assert f'error="{error}"' in challenge
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    description: str = body["errors"][0]["message"]
    assert f'error_description="{description}"' in challenge
    if error == "invalid_token":  # nothing of the token is echoed back
        assert authorization.split()[-1][:20] not in response.text
    return description


async def test_a_genuine_token_is_accepted(http: httpx.AsyncClient, investigator: str) -> None:
    response = await http.post("/graphql", headers={"Authorization": f"Bearer {investigator}"})
    assert response.status_code == 200
    assert response.json()["data"]["client_id"] == "investigator"


async def test_no_token_on_an_endpoint_that_needs_one_gets_no_data(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql")
    assert response.status_code == 401
    assert "data" not in response.json()


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.e30", "x" * 9000, "e30.e30.e30.e30.e30", "%%%.%%%.%%%"],
    ids=["word", "three-words", "two-segments", "huge", "jwe-shaped", "not-base64"],
)
async def test_garbage_is_refused(http: httpx.AsyncClient, token: str) -> None:
    await refused(http, f"Bearer {token}")


async def test_an_expired_token_is_refused(http: httpx.AsyncClient, services: AuthServices) -> None:
    now = int(time.time())
    token = await hub_signed(services, iat=now - 2000, nbf=now - 2000, exp=now - 100)
    assert await refused(http, f"Bearer {token}") == "The token has expired."


async def test_expiry_within_the_leeway_is_tolerated(http: httpx.AsyncClient, services: AuthServices) -> None:
    now = int(time.time())
    token = await hub_signed(services, iat=now - 900, nbf=now - 900, exp=now - 10)
    response = await http.post("/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_a_token_not_yet_valid_is_refused(
    http: httpx.AsyncClient, services: AuthServices, claim: str
) -> None:
    token = await hub_signed(services, **{claim: int(time.time()) + 300})
    assert await refused(http, f"Bearer {token}") == "The token is not valid yet."


async def test_a_token_for_another_audience_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    token = await hub_signed(services, aud="urn:some-other-api")
    assert "aud" in await refused(http, f"Bearer {token}")


async def test_a_token_from_an_unknown_issuer_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    token = await hub_signed(services, iss="https://idp.example")
    assert await refused(http, f"Bearer {token}") == "The token's issuer is not trusted."


@pytest.mark.parametrize("missing", ["exp", "aud", "client_id", "jti", "iat"])
async def test_a_token_without_an_essential_claim_is_refused(
    http: httpx.AsyncClient, services: AuthServices, missing: str
) -> None:
    token = await hub_signed(services, **{missing: None})
    await refused(http, f"Bearer {token}")


async def test_alg_none_is_refused(http: httpx.AsyncClient, services: AuthServices) -> None:
    kid = (await services.keys.signing_key()).kid
    token = f"{b64json({'alg': 'none', 'typ': 'at+jwt', 'kid': kid})}.{b64json(claims())}."
    assert "algorithm" in await refused(http, f"Bearer {token}")


@pytest.mark.parametrize("form", ["pem", "jwk"])
async def test_hs256_signed_with_the_public_key_is_refused(
    http: httpx.AsyncClient, services: AuthServices, form: str
) -> None:
    """The classic key confusion: an HMAC keyed with the published public key, which anyone can read."""
    key = await services.keys.signing_key()
    public = (await http.get("/.well-known/jwks.json")).json()["keys"][0]
    if form == "pem":
        secret = ECKey.import_key(public).as_pem(private=False)
    else:
        secret = httpx.Response(200, json=public).content
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'at+jwt', 'kid': key.kid})}.{b64json(claims())}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    assert "algorithm" in await refused(http, f"Bearer {signing_input}.{b64(signature)}")


async def test_a_tampered_payload_is_refused(http: httpx.AsyncClient, investigator: str) -> None:
    header, _payload, signature = investigator.split(".")
    widened = {**claims_of(investigator), "scope": "person:read intel:read markers:health audit:read"}
    forged = f"{header}.{b64json(widened)}.{signature}"
    assert await refused(http, f"Bearer {forged}") == "The token's signature is not valid."


async def test_a_token_signed_by_another_key_with_the_hubs_kid_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    kid = (await services.keys.signing_key()).kid
    impostor = ECKey.generate_key("P-256", private=True)
    token = sign({"alg": "ES256", "typ": "at+jwt", "kid": kid}, claims(), impostor)
    assert await refused(http, f"Bearer {token}") == "The token's signature is not valid."


async def test_an_unknown_kid_is_refused(http: httpx.AsyncClient) -> None:
    impostor = ECKey.generate_key("P-256", private=True)
    token = sign({"alg": "ES256", "typ": "at+jwt", "kid": "made-up"}, claims(), impostor)
    assert await refused(http, f"Bearer {token}") == "The token's signing key is not known."


async def test_an_allowed_algorithm_with_the_wrong_key_type_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    kid = (await services.keys.signing_key()).kid
    token = sign(
        {"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims(), RSAKey.generate_key(2048, private=True)
    )
    assert await refused(http, f"Bearer {token}") == "The token's signature is not valid."


async def test_the_hubs_token_without_typ_at_jwt_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    key = await services.keys.signing_key()
    token = sign({"alg": "ES256", "typ": "JWT", "kid": key.kid}, claims(), key.private)
    assert "typ" in await refused(http, f"Bearer {token}")


async def test_a_revoked_clients_token_is_refused(
    http: httpx.AsyncClient, services: AuthServices, investigator: str
) -> None:
    await services.clients.revoke("investigator")
    assert "revoked" in await refused(http, f"Bearer {investigator}")


async def test_a_token_for_a_client_that_does_not_exist_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    token = await hub_signed(services, client_id="ghost", sub="ghost")
    assert "revoked" in await refused(http, f"Bearer {token}")


async def test_a_token_with_a_bad_organisation_type_is_refused(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    token = await hub_signed(services, org_type="superuser")
    await refused(http, f"Bearer {token}")


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Basic abc", "Token abc", "bearer"])
async def test_a_malformed_authorization_header_is_invalid_request(
    http: httpx.AsyncClient, authorization: str
) -> None:
    await refused(http, authorization, error="invalid_request")


async def test_validator_errors_carry_a_description(services: AuthServices) -> None:
    with pytest.raises(InvalidToken) as caught:
        await services.validator.validate("nonsense")
    assert caught.value.description == "The access token is not a signed JWT."
    assert header_of(await services.token_for("investigator"))["typ"] == "at+jwt"


async def test_the_real_validator_behind_the_middleware(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    await services.clients.add("dev", "Partner Integration Team", "developer", ["schema:introspect"])
    token = await services.token_for("dev")
    response = await http.get("/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["data"]["scopes"] == ["schema:introspect"]
    public = await http.get("/healthz")
    assert public.json() == {"principal": False}
