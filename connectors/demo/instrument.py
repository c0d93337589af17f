"""What makes a demo partner useful for testing the hub: a request log and switchable faults.

Each demo partner server wraps its app in `Instrumented`, which records every API request (the kind of
records asked for, the fault it met, and when it started and ended on the machine's monotonic clock, so
intervals from different processes compare) and applies the faults currently switched on. Both are
reachable over HTTP under `/_demo/`, so tests, benchmarks and `hub demo` drive a partner running in another
process:

    GET    /_demo/requests   the log, oldest first         DELETE /_demo/requests   clear it
    GET    /_demo/faults     the fault switches            DELETE /_demo/faults     switch every fault off
    PUT    /_demo/faults     set every switch (JSON; a switch left out is off)
    PATCH  /_demo/faults     change only the switches given

The switches (see `_faults` and docs/demo-faults.md): `latency_ms`, `latency_jitter_ms`, `mode` (one of
`MODES`: error, malformed, wrong_shape, hang, reset, or null), `rate` (the fraction of API requests that get
the mode), `error_rate` (shorthand for mode error at that rate) and `seed` (makes the draws repeatable).
An invalid body is answered HTTP 400 with `{"error": "..."}` and changes nothing. The token endpoint,
`/health` and `/_demo/` itself are never faulted, so a partner can always be switched back.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.demo._faults import FAULT_KINDS, MODES, FaultError, Faults, spec_body

__all__ = [
    "FAULT_KINDS",
    "MODES",
    "FaultError",
    "Faults",
    "Instrumented",
    "RequestLog",
    "admin_routes",
    "mark",
    "spec_body",
]

_EXEMPT = ("/_demo/", "/oauth/", "/health")
#: What `malformed` answers: it claims to be JSON, and is not.
MALFORMED_BODY = b'{"data": [ oops'
#: What `wrong_shape` answers when the partner names nothing better for its protocol.
_DEFAULT_WRONG_SHAPE: Any = {"unexpected": 1}


@dataclass
class RequestLog:
    """Every API request the partner served: kind, path, fault, start and end (time.monotonic())."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.entries)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


def mark(request: Request, kind: str, **details: Any) -> None:
    """Called by a partner's handler: name the kind of records this request asked for."""
    entry = request.scope.get("state", {}).get("demo_request")
    if entry is not None:
        entry["kind"] = kind
        entry.update(details)


async def _until_disconnected(receive: Receive) -> None:
    """Read (and drop) the request until the client goes away."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hold(seconds: float, receive: Receive) -> Receive | None:
    """Hold the request for `seconds`, reading it meanwhile so that a client that leaves is noticed.

    Returns the `receive` to hand the app (the request read so far, then the rest), or None if the client
    disconnected while held.
    """
    read: list[Message] = []

    async def read_until_disconnected() -> None:
        while True:
            read.append(await receive())
            if read[-1]["type"] == "http.disconnect":
                return

    reader = asyncio.ensure_future(read_until_disconnected())
    try:
        await asyncio.wait({reader}, timeout=seconds)
    finally:
        reader.cancel()  # uvicorn's receive gives up its wait cleanly: nothing read is lost
        await asyncio.gather(reader, return_exceptions=True)
    if read and read[-1]["type"] == "http.disconnect":
        return None
    pending = iter(read)

    async def replay() -> Message:
        return next(pending, None) or await receive()

    return replay


@runtime_checkable
class _Connection(Protocol):
    """What `reset` needs of a connection's transport: its socket, and a way to drop it unanswered.

    A protocol, not `asyncio.Transport`: under uvloop (which `uvicorn.run` picks when it is installed, as it
    is for the demo's partner processes) the transport is uvloop's own `TCPTransport`, which has every
    method of `asyncio.Transport` but does not derive from it.
    """

    def abort(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def _transport(receive: Receive) -> _Connection | None:
    """The connection under this request. ASGI does not expose it; uvicorn's `receive` is a method of its
    request cycle (h11's and httptools' alike), which holds it (Starlette passes `receive` through its
    middleware unwrapped)."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    return transport if isinstance(transport, _Connection) else None


async def _reset(transport: _Connection | None, receive: Receive) -> None:
    if transport is None:
        raise RuntimeError("the 'reset' fault needs the connection's transport, which uvicorn provides")
    # asyncio and uvloop each give a stand-in for the socket, which takes setsockopt.
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger zero: closing sends a TCP RST instead of a FIN, so the client reads "connection reset".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await _until_disconnected(receive)  # returning earlier would make uvicorn answer 500 on a dead socket


class Instrumented:
    """ASGI middleware: logs API requests and applies the switched-on faults.

    Args:
        app: The partner's app.
        log: Where API requests are recorded.
        faults: The switches, read afresh for every request.
        wrong_shape: The JSON that `wrong_shape` answers: valid JSON, wrong for the partner's protocol.
    """

    def __init__(self, app: ASGIApp, log: RequestLog, faults: Faults, wrong_shape: Any = None) -> None:
        self.app, self.log, self.faults = app, log, faults
        self.wrong_shape = _DEFAULT_WRONG_SHAPE if wrong_shape is None else wrong_shape

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {"path": scope["path"], "kind": None, "started": time.monotonic()}
        traceparent = Headers(scope=scope).get("traceparent")
        if traceparent is not None:
            entry["traceparent"] = traceparent
        scope.setdefault("state", {})["demo_request"] = entry

        async def logging_send(message: Message) -> None:
            # Log before the last byte leaves, so a client that has its answer always finds the entry.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._finish(entry)
            await send(message)

        try:
            await self._serve(scope, receive, logging_send, entry)
        finally:
            self._finish(entry)

    def _finish(self, entry: dict[str, Any]) -> None:
        if "ended" not in entry:
            entry["ended"] = time.monotonic()
            self.log.add(entry)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, entry: dict[str, Any]) -> None:
        delay_ms, mode = self.faults.draw()
        entry["fault"] = mode
        transport = _transport(receive)  # before `receive` is wrapped
        if delay_ms:
            held = await _hold(delay_ms / 1000, receive)
            if held is None:
                entry["gone"] = True  # the client gave up first: there is no one left to answer
                return
            receive = held
        answer: Response | None = None
        if mode == "error":
            answer = PlainTextResponse("Internal Server Error", status_code=500)
        elif mode == "malformed":
            answer = Response(MALFORMED_BODY, media_type="application/json")
        elif mode == "wrong_shape":
            answer = JSONResponse(self.wrong_shape)
        elif mode == "hang":
            await _until_disconnected(receive)
            return
        elif mode == "reset":
            await _reset(transport, receive)
            return
        await (answer or self.app)(scope, receive, send)


def admin_routes(log: RequestLog, faults: Faults) -> list[Route]:
    """The `/_demo/requests` and `/_demo/faults` endpoints over this partner's log and switches."""

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return Response(status_code=204)
        return JSONResponse(log.snapshot())

    async def fault_switch(request: Request) -> Response:
        if request.method == "DELETE":
            faults.clear()
        elif request.method in ("PUT", "PATCH"):
            try:
                body = await request.json()
            except ValueError:
                return _bad('the body is not JSON; send e.g. {"mode": "hang"}')
            try:
                (faults.replace if request.method == "PUT" else faults.update)(body)
            except FaultError as exc:
                return _bad(str(exc))
        return JSONResponse(faults.as_dict())

    return [
        Route("/_demo/requests", requests, methods=["GET", "DELETE"]),
        Route("/_demo/faults", fault_switch, methods=["GET", "PUT", "PATCH", "DELETE"]),
    ]


def _bad(message: str) -> JSONResponse:
    return JSONResponse({"error": message, "kinds": list(FAULT_KINDS), "modes": list(MODES)}, 400)
