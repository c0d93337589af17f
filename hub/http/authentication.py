"""Bearer-token authentication for the GraphQL endpoint: a pure ASGI middleware (RFC 6750).

Under the protected paths, every request's consultation (`hub.consultation`) gets its principal:

    no Authorization header          ANONYMOUS: public fields only (the schema enforces scopes), and GraphiQL
    Authorization: Bearer <token>    the token's principal, or 401 error="invalid_token" if it is refused
    any other Authorization header   401 error="invalid_request"

A 401 carries `WWW-Authenticate: Bearer realm="hub", error=..., error_description=...` and a GraphQL-shaped
body (`extensions.code = "UNAUTHENTICATED"`), so GraphiQL and GraphQL clients show the reason. No data is
read before the token is accepted. If the token cannot be checked at all (the database is down), the answer
is 503: fail closed, never anonymous.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from hub.auth.principal import ANONYMOUS
from hub.auth.tokens import InvalidToken, TokenValidator
from hub.consultation import Consultation
from hub.errors import SERVICE_UNAVAILABLE, UNAUTHENTICATED, RequestRefused
from hub.http._refusal import refusal_messages

__all__ = ["BearerAuth"]

log = logging.getLogger(__name__)

# RFC 6750 section 2.1: b64token.
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# error_description may not hold '"' or '\' (RFC 6750 section 3); ours never do, but make sure.
_UNSAFE = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")


class BearerAuth:
    """Authenticate requests under `protected_prefixes` with a bearer token.

    Args:
        app: The application behind.
        validator: Checks tokens.
        protected_prefixes: Paths (and what is below them) that get a principal.
    """

    def __init__(
        self, app: ASGIApp, validator: TokenValidator, protected_prefixes: Sequence[str] = ("/graphql",)
    ) -> None:
        self.app = app
        self.validator = validator
        self.prefixes = tuple(p.rstrip("/") for p in protected_prefixes)

    def _protected(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self._protected(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        headers = [v for k, v in scope.get("headers", []) if k.lower() == b"authorization"]
        consultation = Consultation.of(scope)
        if not headers:
            consultation.principal = ANONYMOUS
            await self.app(scope, receive, send)
            return
        if len(headers) > 1:
            await _refuse(scope, receive, send, "invalid_request", "Send one Authorization header.")
            return
        scheme, _, token = headers[0].decode("latin-1").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            await _refuse(scope, receive, send, "invalid_request", "Use Authorization: Bearer <token>.")
            return
        if not _B64TOKEN.fullmatch(token):
            await _refuse(scope, receive, send, "invalid_token", "The access token is malformed.")
            return
        try:
            consultation.principal = await self.validator.validate(token)
        except InvalidToken as exc:
            await _refuse(scope, receive, send, "invalid_token", exc.description)
            return
        except Exception:
            log.exception("Could not check an access token")
            await _unavailable(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: str, description: str) -> None:
    description = _UNSAFE.sub("?", description)
    challenge = f'Bearer realm="hub", error="{error}", error_description="{description}"'
    await _respond(scope, receive, send, RequestRefused(UNAUTHENTICATED, description), challenge)


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    refused = RequestRefused(SERVICE_UNAVAILABLE, "Access tokens cannot be checked right now; try again.")
    await _respond(scope, receive, send, refused, None)


async def _respond(
    scope: Scope, receive: Receive, send: Send, refused: RequestRefused, challenge: str | None
) -> None:
    Consultation.of(scope).refuse(refused.code)
    if scope["type"] == "websocket":
        # Closing before accepting makes the server answer the handshake with 403; 1008 is "policy".
        await receive()
        await send({"type": "websocket.close", "code": 1008})
        return
    challenges = [(b"www-authenticate", challenge.encode("ascii"))] if challenge is not None else []
    for message in refusal_messages(refused, challenges):
        await send(message)
