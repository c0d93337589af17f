"""Run an ASGI app under uvicorn on loopback, in a background thread: for tests and embedded use."""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from starlette.types import ASGIApp

__all__ = ["ServerThread"]


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a thread of its own. `port=0` takes a free port."""

    def __init__(self, app: ASGIApp, port: int = 0, host: str = "127.0.0.1") -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.host = host
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.server.should_exit = False
        self._thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.host} did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.server.started = False
