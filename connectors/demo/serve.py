"""Loopback servers for tests and embedded use: an ASGI app under uvicorn in a background thread, and a
port where nothing listens (a partner whose server is down)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

__all__ = ["RefusedPort", "ServerThread"]


class ServerThread:
    """A real uvicorn server on 127.0.0.1 in a thread of its own. `port=0` takes a free port.

    `loop` is the event loop the server runs on, `http` uvicorn's HTTP implementation: by default asyncio's
    own loop and whichever implementation uvicorn picks (httptools when installed). `uvicorn.run`, as
    `hub demo partner` calls it, picks uvloop too when it is installed: `loop="uvloop"` serves an app the way
    a demo partner process does.
    """

    def __init__(
        self,
        app: ASGIApp,
        port: int = 0,
        host: str = "127.0.0.1",
        loop: Literal["asyncio", "uvloop"] = "asyncio",
        http: Literal["auto", "h11", "httptools"] = "auto",
    ) -> None:
        # A request held by the `hang` fault ends only when its client leaves: do not wait for it for ever.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
            http=http,
        )
        self.server = uvicorn.Server(config)
        self.host, self.loop = host, loop
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.servers[0].sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        self.server.should_exit = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.host} did not start within {timeout}s")
            time.sleep(0.01)
        return self

    def _serve(self) -> None:
        # A loop of this thread's own (not uvicorn's `run`, which in some versions sets the loop policy of the
        # whole process).
        factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
        if self.loop == "uvloop":
            import uvloop

            factory = uvloop.new_event_loop
        with asyncio.Runner(loop_factory=factory) as runner:
            runner.run(self.server.serve())

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self.server.started = False


class RefusedPort:
    """A loopback port that refuses every connection for as long as this object holds it.

    Its socket is bound, so nothing else can take the port, but never listens: the kernel answers every
    attempt to connect with a reset (ECONNREFUSED), as for a partner whose server is down.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, 0))
        self.host, self.port = host, int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> RefusedPort:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
