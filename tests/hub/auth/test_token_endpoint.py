"""The client-credentials grant over HTTP (RFC 6749 section 4.4), and its tokens opening /graphql."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import httpx
import pytest

from hub.auth.services import AuthServices
from tests.hub.auth.conftest import claims_of, header_of

FORM = {"grant_type": "client_credentials"}
SCOPES = ["person:match", "person:read", "safeguarding:read"]


@pytest.fixture
async def mash(services: AuthServices) -> str:
    """A child-protection client; returns its secret."""
    return await services.clients.add(
        "mash", "Eastvale Council MASH", "child-protection-agency", SCOPES, purposes=["safeguarding"]
    )


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


async def test_basic_auth_gets_a_bearer_token_that_opens_graphql(http: httpx.AsyncClient, mash: str) -> None:
    response = await http.post("/oauth/token", data=FORM, headers=basic("mash", mash))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == " ".join(sorted(SCOPES))
    token = body["access_token"]

    echo = await http.post("/graphql", headers={"Authorization": f"Bearer {token}"})
    assert echo.status_code == 200, echo.text
    assert echo.json()["data"] == {
        "client_id": "mash",
        "subject": "mash",
        "organisation": "Eastvale Council MASH",
        "organisation_type": "child-protection-agency",
        "scopes": sorted(SCOPES),
        "purposes": ["safeguarding"],
        "issuer": "urn:police-hub",
        "token_id": claims_of(token)["jti"],
    }


async def test_issued_token_is_an_rfc9068_jwt_with_the_hubs_claims(
    http: httpx.AsyncClient, mash: str
) -> None:
    token = (await http.post("/oauth/token", data=FORM, headers=basic("mash", mash))).json()["access_token"]
    header, claims = header_of(token), claims_of(token)
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    jwks = (await http.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert claims["iss"] == "urn:police-hub"
    assert claims["aud"] == "urn:police-hub:graphql"
    assert claims["sub"] == claims["client_id"] == "mash"
    assert claims["org"] == "Eastvale Council MASH"
    assert claims["org_type"] == "child-protection-agency"
    assert claims["purposes"] == ["safeguarding"]
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] >= claims["iat"]
    assert len(claims["jti"]) == 32


async def test_post_auth_works_too(http: httpx.AsyncClient, mash: str) -> None:
    form = {**FORM, "client_id": "mash", "client_secret": mash}
    response = await http.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text


async def test_basic_credentials_are_form_urlencoded_first(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    secret = "with:colon+plus and space%"
    await services.clients.add("odd.client", "Org", "police-force", ["person:read"], secret=secret)
    response = await http.post("/oauth/token", data=FORM, headers=basic("odd.client", secret))
    assert response.status_code == 200, response.text


async def test_wrong_secret_is_invalid_client_with_a_basic_challenge(
    http: httpx.AsyncClient, mash: str
) -> None:
    response = await http.post("/oauth/token", data=FORM, headers=basic("mash", mash + "x"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="hub"'
    assert response.headers["cache-control"] == "no-store"
    assert "access_token" not in response.json()


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": "mash", "client_secret": "not-the-secret-at-all"},
        {"client_id": "nobody", "client_secret": "not-the-secret-at-all"},
        {},
    ],
    ids=["wrong-secret-post", "unknown-client", "no-credentials"],
)
async def test_other_failed_client_authentication_is_invalid_client(
    http: httpx.AsyncClient, mash: str, form: dict[str, str]
) -> None:
    response = await http.post("/oauth/token", data={**FORM, **form})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_revoked_client_gets_no_token(
    http: httpx.AsyncClient, services: AuthServices, mash: str
) -> None:
    await services.clients.revoke("mash")
    response = await http.post("/oauth/token", data=FORM, headers=basic("mash", mash))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_scope_subset_gives_a_narrower_token(http: httpx.AsyncClient, mash: str) -> None:
    form = {**FORM, "scope": "person:match"}
    response = await http.post("/oauth/token", data=form, headers=basic("mash", mash))
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "person:match"
    assert claims_of(response.json()["access_token"])["scope"] == "person:match"


@pytest.mark.parametrize("scope", ["person:read intel:read", "markers:health", "no-such-scope"])
async def test_a_scope_beyond_the_clients_is_invalid_scope(
    http: httpx.AsyncClient, mash: str, scope: str
) -> None:
    response = await http.post("/oauth/token", data={**FORM, "scope": scope}, headers=basic("mash", mash))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("grant", ["password", "authorization_code", "refresh_token"])
async def test_other_grants_are_unsupported(http: httpx.AsyncClient, mash: str, grant: str) -> None:
    response = await http.post("/oauth/token", data={"grant_type": grant}, headers=basic("mash", mash))
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        (b"", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b'{"grant_type": "client_credentials"}', {"Content-Type": "application/json"}),
        (b"grant_type=client_credentials&grant_type=client_credentials", {}),
        (b"grant_type=client_credentials&" + b"x=" + b"y" * 9000, {}),
        (b"grant_type=client_credentials&x=%ff", {}),
    ],
    ids=["no-grant-type", "json-body", "repeated-parameter", "huge-body", "bad-utf8"],
)
async def test_malformed_requests_are_invalid_request(
    http: httpx.AsyncClient, mash: str, content: bytes, headers: dict[str, str]
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", **headers, **basic("mash", mash)}
    response = await http.post("/oauth/token", content=content, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


async def test_two_authentication_methods_at_once_are_invalid_request(
    http: httpx.AsyncClient, mash: str
) -> None:
    form = {**FORM, "client_id": "mash", "client_secret": mash}
    response = await http.post("/oauth/token", data=form, headers=basic("mash", mash))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "authorization", ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc"]
)
async def test_malformed_basic_credentials_are_invalid_client(
    http: httpx.AsyncClient, mash: str, authorization: str
) -> None:
    response = await http.post("/oauth/token", data=FORM, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"] == 'Basic realm="hub"'


async def test_metadata_describes_the_server(http: httpx.AsyncClient) -> None:
    response = await http.get("/.well-known/oauth-authorization-server")
    body = response.json()
    assert body["issuer"] == "urn:police-hub"
    assert body["token_endpoint"] == "http://hub.test/oauth/token"
    assert body["jwks_uri"] == "http://hub.test/.well-known/jwks.json"
    assert body["grant_types_supported"] == ["client_credentials"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert "safeguarding:read" in body["scopes_supported"]


async def test_jwks_holds_public_keys_only(http: httpx.AsyncClient) -> None:
    keys = (await http.get("/.well-known/jwks.json")).json()["keys"]
    assert keys
    for key in keys:
        assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
        assert "d" not in key
