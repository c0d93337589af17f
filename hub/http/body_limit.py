"""The limit on a request's body: a pure ASGI middleware, so no body past `HUB_MAX_REQUEST_BYTES` is read
into memory, whoever sends it and whatever it claims to be.

A body that says it is too long (`Content-Length`) is refused before any of it is read; one that streams
without saying (chunked) is read here up to the limit, refused at the chunk that crosses it, and otherwise
handed on whole. Either way the caller gets
HTTP 413 with a GraphQL-shaped error, code REQUEST_TOO_LARGE, naming the limit. It sits inside the audit
recorder, so the refusal is recorded like any other.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.consultation import Consultation
from hub.errors import REQUEST_TOO_LARGE, RequestRefused
from hub.http._refusal import refusal_messages

__all__ = ["BodyLimit"]


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives `messages` first, then what `receive` gives (a disconnect, in time)."""
    queued = list(messages)

    async def replaying() -> Message:
        return queued.pop(0) if queued else await receive()

    return replaying


class BodyLimit:
    """Refuse HTTP requests whose body is longer than `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope.get("headers", []) if k.lower() == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        if declared is not None:  # the server holds the body to its declared length
            await self.app(scope, receive, send)
            return
        # Chunked: read it here, to the limit, then hand it on whole (the app never sees a cut-off body).
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            body.extend(message.get("body", b""))
            if len(body) > self.max_bytes:
                await self._refuse(scope, send)
                return
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        refused = RequestRefused(
            REQUEST_TOO_LARGE,
            f"The request body is longer than {self.max_bytes} bytes, the most the hub accepts "
            "(HUB_MAX_REQUEST_BYTES).",
            limit=self.max_bytes,
        )
        Consultation.of(scope).refuse(refused.code)
        for message in refusal_messages(refused):
            await send(message)
