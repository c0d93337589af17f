"""A partner that fails on purpose, on loopback: what the conformance suite points a connector at to see how
it reports each kind of failure.

`FaultyPartner` is a small HTTP/1.1 server (asyncio streams, no framework) whose every answer follows its
current `Fault`. It counts the connections a client holds open, so the suite can tell whether a connector
closes what it opened. A refused connection needs no server at all: `refused_url()` names a port nothing
listens on.
"""

from __future__ import annotations

import asyncio
import enum
import json
import socket
from contextlib import closing

__all__ = ["Fault", "FaultyPartner", "refused_url"]


class Fault(enum.StrEnum):
    """How the partner fails, and the error class the hub must get for it (see `EXPECTED`)."""

    #: Nothing listens: the connection is refused.
    DOWN = "down"
    #: The connection is accepted and nothing is ever answered.
    SLOW = "slow"
    #: HTTP 500 to everything.
    SERVER_ERROR = "server-error"
    #: HTTP 200, `Content-Type: application/json`, and a body that is not JSON.
    GARBAGE = "garbage"
    #: HTTP 200 and well-formed JSON of a shape no partner API has (`{"unexpected": [1, 2, 3]}`).
    WRONG_SHAPE = "wrong-shape"
    #: HTTP 401 to everything, token endpoints included: the partner refuses the hub's credentials.
    AUTH_REFUSED = "auth-refused"


#: An OAuth2 token answer, for the token requests of the faults that are about the data, not the login.
_TOKEN = json.dumps(
    {"access_token": "conformance-token", "token_type": "Bearer", "expires_in": 3600}
).encode()


_GARBAGE = b'{"data": [ {"oops'
_WRONG_SHAPE = json.dumps({"unexpected": [1, 2, 3]}).encode()
_REFUSED = json.dumps({"error": "invalid_client", "error_description": "Credentials refused."}).encode()


def refused_url() -> str:
    """An http:// URL on loopback where nothing listens (the port was free a moment ago)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class FaultyPartner:
    """An HTTP server on loopback answering every request with its `fault` (not `DOWN`: see `refused_url`).

    Use it as an async context manager; `url` is its root. `open_connections` is how many client
    connections are open now, `requests` how many requests it has read.
    """

    def __init__(self, fault: Fault) -> None:
        if fault is Fault.DOWN:
            raise ValueError("a partner that is down has no server: use refused_url()")
        self.fault = fault
        self.open_connections = 0
        self.requests = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the partner first (async with)"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> FaultyPartner:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            for handler in list(self._handlers):
                handler.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.open_connections += 1
        try:
            while await self._answer_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_connections -= 1
            self._handlers.discard(task)
            writer.close()

    async def _answer_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request and answer it; False once the client has gone."""
        head = await reader.readuntil(b"\r\n\r\n")
        if not head:
            return False
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip() or 0)
        body = await reader.readexactly(length) if length else b""
        self.requests += 1
        if self.fault is Fault.SLOW:
            while await reader.read(65536):  # never answer; notice when the client gives up and closes
                pass
            return False
        if b"grant_type=" in body and self.fault is not Fault.AUTH_REFUSED:
            # A token request (OAuth2 client credentials): the login works, the data calls meet the fault.
            self._write(writer, b"200 OK", _TOKEN)
            await writer.drain()
            return True
        status, answer = {
            Fault.SERVER_ERROR: (b"500 Internal Server Error", b'{"error": "internal"}'),
            Fault.GARBAGE: (b"200 OK", _GARBAGE),
            Fault.WRONG_SHAPE: (b"200 OK", _WRONG_SHAPE),
            Fault.AUTH_REFUSED: (b"401 Unauthorized", _REFUSED),
        }[self.fault]
        self._write(writer, status, answer)
        await writer.drain()
        return True

    def _write(self, writer: asyncio.StreamWriter, status: bytes, body: bytes) -> None:
        challenge = (
            b'WWW-Authenticate: Bearer error="invalid_token"\r\n' if status.startswith(b"401") else b""
        )
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n" + challenge + b"\r\n" + body
        )
