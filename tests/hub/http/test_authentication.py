"""The bearer middleware: who is anonymous, what is left alone, and failing closed."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Message, Scope
from starlette.websockets import WebSocket

from hub.auth.principal import ANONYMOUS, Principal
from hub.auth.tokens import InvalidToken
from hub.consultation import Consultation
from hub.http.authentication import BearerAuth


class StubValidator:
    """Stands in for the validator where the test is about the middleware, not tokens."""

    def __init__(self, outcome: Principal | Exception) -> None:
        self.outcome = outcome
        self.seen: list[str] = []

    async def validate(self, token: str) -> Principal:
        self.seen.append(token)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


async def whoami(request: Request) -> Response:
    consultation = Consultation.find(request.scope)
    principal = consultation.principal if consultation is not None else None
    return JSONResponse(
        {"principal": None if principal is None else principal.client_id, "anonymous": principal is ANONYMOUS}
    )


async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"client": Consultation.of(websocket.scope).principal.client_id})
    await websocket.close()


def app(validator: Any) -> BearerAuth:
    inner = Starlette(
        routes=[
            Route("/graphql", whoami, methods=["GET", "POST"]),
            Route("/graphql/batch", whoami, methods=["POST"]),
            Route("/graphqlx", whoami),
            Route("/healthz", whoami),
            WebSocketRoute("/graphql/ws", ws),
        ]
    )
    return BearerAuth(inner, validator)


async def get(middleware: BearerAuth, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=middleware), base_url="http://hub.test"
    ) as c:
        return await c.get(path, **kwargs)


async def test_graphiql_in_a_browser_passes_as_anonymous() -> None:
    validator = StubValidator(InvalidToken("never asked"))
    response = await get(app(validator), "/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.json() == {"principal": None, "anonymous": True}
    assert validator.seen == []


async def test_paths_outside_the_prefixes_are_left_alone() -> None:
    validator = StubValidator(InvalidToken("never asked"))
    for path in ("/healthz", "/graphqlx"):
        response = await get(app(validator), path, headers={"Authorization": "Bearer whatever"})
        assert response.status_code == 200
        assert response.json()["principal"] is None and not response.json()["anonymous"]
    assert validator.seen == []


async def test_paths_below_a_prefix_are_protected() -> None:
    validator = StubValidator(Principal(client_id="c"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(validator)), base_url="http://hub.test"
    ) as c:
        response = await c.post("/graphql/batch", headers={"Authorization": "Bearer abc.def.ghi"})
    assert response.json()["principal"] == "c"
    assert validator.seen == ["abc.def.ghi"]


async def test_two_authorization_headers_are_invalid_request() -> None:
    middleware = app(StubValidator(Principal(client_id="c")))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=middleware), base_url="http://hub.test"
    ) as c:
        request = c.build_request("GET", "/graphql")
        request.headers = httpx.Headers([("Authorization", "Bearer a"), ("Authorization", "Bearer b")])
        response = await c.send(request)
    assert response.status_code == 401
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


async def test_a_token_with_characters_outside_b64token_is_refused_unread() -> None:
    validator = StubValidator(Principal(client_id="c"))
    response = await get(app(validator), "/graphql", headers={"Authorization": "Bearer a,b;c"})
    assert response.status_code == 401
    assert validator.seen == []


async def test_when_tokens_cannot_be_checked_the_answer_is_503_not_anonymous() -> None:
    validator = StubValidator(ConnectionError("database down"))
    response = await get(app(validator), "/graphql", headers={"Authorization": "Bearer abc"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "database" not in response.text


async def websocket_handshake(middleware: BearerAuth, authorization: str) -> list[Message]:
    """Drive a WebSocket handshake at the ASGI level; returns what the app sent."""
    incoming: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "websocket",
        "path": "/graphql/ws",
        "raw_path": b"/graphql/ws",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"hub.test"), (b"authorization", authorization.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("hub.test", 80),
        "subprotocols": [],
        "asgi": {"version": "3.0"},
    }
    await middleware(scope, receive, send)
    return sent


async def test_websockets_under_the_prefix_need_a_valid_token_too() -> None:
    sent = await websocket_handshake(app(StubValidator(Principal(client_id="ws-client"))), "Bearer abc")
    assert sent[0]["type"] == "websocket.accept"
    assert '"ws-client"' in sent[1]["text"]
    refused = await websocket_handshake(app(StubValidator(InvalidToken("no"))), "Bearer abc")
    assert refused == [{"type": "websocket.close", "code": 1008}]
