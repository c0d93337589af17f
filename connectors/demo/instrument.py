"""What makes a demo partner useful for testing the hub: a request log and switchable faults.

Each demo partner server wraps its app in `Instrumented`, which records every API request (the kind of
records asked for, and when it started and ended on the machine's monotonic clock, so intervals from
different processes compare) and applies the faults currently switched on. Both are reachable over HTTP
under `/_demo/`, so tests, benchmarks and `hub demo` drive a partner running in another process:

    GET    /_demo/requests   the log, oldest first        DELETE /_demo/requests   clear it
    GET    /_demo/faults     the faults switched on       PUT    /_demo/faults     switch faults (JSON body)

Faults: `latency_ms` (added before answering), and `mode`, one of `malformed` (a body that is not JSON),
`error` (HTTP 500), `hang` (never answer), or null for none. The token endpoint and `/_demo/` are exempt.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["FAULT_MODES", "Faults", "Instrumented", "RequestLog", "admin_routes", "mark"]

FAULT_MODES = frozenset({"malformed", "error", "hang"})
_EXEMPT = ("/_demo/", "/oauth/", "/health")


@dataclass
class Faults:
    latency_ms: float = 0.0
    mode: str | None = None

    def update(self, body: dict[str, Any]) -> None:
        latency = float(body.get("latency_ms", self.latency_ms))
        mode = body.get("mode", self.mode)
        if latency < 0:
            raise ValueError("latency_ms must be zero or more")
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {sorted(FAULT_MODES)} or null, not {mode!r}")
        self.latency_ms, self.mode = latency, mode


@dataclass
class RequestLog:
    """Every API request the partner served: kind, path, start and end (time.monotonic())."""

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


class Instrumented:
    """ASGI middleware: logs API requests and applies the switched-on faults."""

    def __init__(self, app: ASGIApp, log: RequestLog, faults: Faults) -> None:
        self.app, self.log, self.faults = app, log, faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        entry: dict[str, Any] = {"path": scope["path"], "kind": None, "started": time.monotonic()}
        scope.setdefault("state", {})["demo_request"] = entry

        async def logging_send(message: Message) -> None:
            # Log before the last byte leaves, so a client that has its answer always finds the entry.
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self._finish(entry)
            await send(message)

        try:
            await self._serve(scope, receive, logging_send)
        finally:
            self._finish(entry)

    def _finish(self, entry: dict[str, Any]) -> None:
        if "ended" not in entry:
            entry["ended"] = time.monotonic()
            self.log.add(entry)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        mode = self.faults.mode
        if mode == "hang":
            await asyncio.Event().wait()
        if mode == "error":
            await Response("internal error", status_code=500)(scope, receive, send)
        elif mode == "malformed":
            await Response('{"data": [ oops', media_type="application/json")(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def admin_routes(log: RequestLog, faults: Faults) -> list[Route]:
    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            log.clear()
            return Response(status_code=204)
        return JSONResponse(log.snapshot())

    async def fault_switch(request: Request) -> Response:
        if request.method == "PUT":
            try:
                faults.update(await request.json())
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(asdict(faults))

    return [
        Route("/_demo/requests", requests, methods=["GET", "DELETE"]),
        Route("/_demo/faults", fault_switch, methods=["GET", "PUT"]),
    ]
