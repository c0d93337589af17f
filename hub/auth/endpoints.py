"""The authorization server's HTTP endpoints: token (client credentials), JWKS, and server metadata.

    POST /oauth/token                           RFC 6749 section 4.4: client-credentials grant
    GET  /.well-known/jwks.json                 the public signing keys (RFC 7517)
    GET  /.well-known/oauth-authorization-server   metadata (RFC 8414)

Clients authenticate with HTTP Basic (`client_secret_basic`; id and secret form-urlencoded first, RFC 6749
section 2.3.1) or with `client_id` and `client_secret` in the form (`client_secret_post`), never both.
Errors follow RFC 6749 section 5.2. The grant and the token are authlib's (`hub.auth.tokens`); this module is
the Starlette glue, parsing the form by hand because Starlette's form parser needs python-multipart.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub.auth.clients import ClientStore
from hub.auth.keys import KeyStore
from hub.auth.scopes import SCOPES
from hub.auth.tokens import ScopeNotAllowed, TokenIssuer

__all__ = ["MAX_FORM_BYTES", "TOKEN_PATH", "auth_routes"]

TOKEN_PATH = "/oauth/token"
JWKS_PATH = "/.well-known/jwks.json"
METADATA_PATH = "/.well-known/oauth-authorization-server"
#: A token request is a handful of short fields; anything bigger is not one.
MAX_FORM_BYTES = 8192
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class _OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        headers = dict(_NO_STORE)
        if self.status == 401:
            # RFC 6749 section 5.2 asks for the scheme the client tried when it used Basic; RFC 9110 asks for
            # a challenge on every 401, and Basic is the one scheme a client can retry with here.
            headers["WWW-Authenticate"] = 'Basic realm="hub"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description}, self.status, headers=headers
        )


def _invalid_request(description: str) -> _OAuthError:
    return _OAuthError("invalid_request", description)


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise _invalid_request("The body must be application/x-www-form-urlencoded.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise _invalid_request(f"The body is larger than {MAX_FORM_BYTES} bytes.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _invalid_request("The body is not a valid form.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 section 3.2: parameters MUST NOT be repeated
            raise _invalid_request(f"The parameter '{name}' is repeated.")
        form[name] = value
    # RFC 6749 section 3.1: a parameter sent without a value is treated as omitted.
    return {name: value for name, value in form.items() if value}


def _basic(header: str) -> tuple[str, str]:
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "basic":
        raise _OAuthError("invalid_client", "Use HTTP Basic or client_secret_post.", 401)
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _OAuthError("invalid_client", "The Basic credentials are malformed.", 401) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise _OAuthError("invalid_client", "The Basic credentials are malformed.", 401)
    # RFC 6749 section 2.3.1: both are form-urlencoded before they are joined and base64-encoded.
    return unquote_plus(client_id), unquote_plus(secret)


def _credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization")
    if header is not None:
        if "client_secret" in form:
            raise _invalid_request("Use one client authentication method, not two.")
        client_id, secret = _basic(header)
        if form.get("client_id", client_id) != client_id:
            raise _invalid_request("The client_id parameter differs from the Basic credentials.")
        return client_id, secret
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"]
    raise _OAuthError("invalid_client", "Client authentication is required.", 401)


def auth_routes(clients: ClientStore, issuer: TokenIssuer, keys: KeyStore) -> list[Route]:
    """The authorization server's routes, to add to the hub's Starlette app.

    Args:
        clients: Who may ask for tokens.
        issuer: Makes the tokens.
        keys: The signing keys (for the JWKS).
    """

    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            grant_type = form.get("grant_type")
            if grant_type is None:
                raise _invalid_request("The grant_type parameter is missing.")
            if grant_type != "client_credentials":
                raise _OAuthError("unsupported_grant_type", "Only client_credentials is supported.")
            client_id, secret = _credentials(request, form)
            client = await clients.authenticate(client_id, secret)
            if client is None:
                raise _OAuthError("invalid_client", "Client authentication failed.", 401)
            requested = form["scope"].split() if "scope" in form else None
            try:
                issued = await issuer.issue(client, requested)
            except ScopeNotAllowed:
                raise _OAuthError(
                    "invalid_scope", "The requested scope is not allowed for this client."
                ) from None
        except _OAuthError as error:
            return error.response()
        body = {
            "access_token": issued.access_token,
            "token_type": issued.token_type,
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        }
        return JSONResponse(body, headers=_NO_STORE)

    async def jwks(request: Request) -> Response:
        return JSONResponse(
            await keys.jwks(),
            headers={"Cache-Control": "public, max-age=60"},
            media_type="application/jwk-set+json",
        )

    async def metadata(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        body: dict[str, Any] = {
            "issuer": issuer.issuer,
            "token_endpoint": base + TOKEN_PATH,
            "jwks_uri": base + JWKS_PATH,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": list(SCOPES),
            # REQUIRED by RFC 8414, and honestly empty: there is no authorization endpoint.
            "response_types_supported": [],
        }
        return JSONResponse(body)

    return [
        Route(TOKEN_PATH, token, methods=["POST"], name="oauth_token"),
        Route(JWKS_PATH, jwks, methods=["GET"], name="jwks"),
        Route(METADATA_PATH, metadata, methods=["GET"], name="oauth_metadata"),
    ]
