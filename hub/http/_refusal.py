"""A request refused whole, as the ASGI messages of its response: what the layers of the request path that
answer before the endpoint (the audit gate, the body limit, authentication) all send."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import Message

from hub.errors import RequestRefused

__all__ = ["refusal_messages"]


def refusal_messages(refused: RequestRefused, headers: Iterable[tuple[bytes, bytes]] = ()) -> list[Message]:
    """The response to `refused`: its code's status, a JSON body of `errors` only, never cached."""
    body = refused.body()
    all_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
        *headers,
    ]
    return [
        {"type": "http.response.start", "status": refused.code.status, "headers": all_headers},
        {"type": "http.response.body", "body": body},
    ]
