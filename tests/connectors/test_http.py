"""The partner transport over real sockets on loopback: each way a partner's server can fail reaches the
connectors as the httpx error that names it (refused is not slow, reset is not slow, garbage is not HTTP)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from connectors._http import partner_transport
from connectors.demo.serve import RefusedPort

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n"
    writer.write(head + b'{"ok": true}')
    await writer.drain()
    await reader.read()  # keep the connection, as a keep-alive server does


async def not_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    await writer.drain()
    writer.close()


async def hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.close()


async def resets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    writer.transport.abort()  # RST, not FIN


async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + b"x" * 10)
    await writer.drain()
    writer.close()


async def hangs(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _read_request(reader)
    await asyncio.sleep(30)


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Start a raw TCP server on loopback running a handler per connection; its URL."""
    servers: list[asyncio.Server] = []
    connections: list[asyncio.Task[None]] = []

    async def start(handler: Handler) -> str:
        async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            connections.append(task)
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # the client went away first: what some of these tests make happen
            finally:
                writer.transport.abort()

        server = await asyncio.start_server(tracked, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()
    for task in connections:
        task.cancel()
    await asyncio.gather(*connections, return_exceptions=True)
    for server in servers:
        await server.wait_closed()


async def get(url: str, timeout: float = 5.0) -> httpx.Response:
    async with httpx.AsyncClient(transport=partner_transport(), timeout=timeout) as client:
        response = await client.get(f"{url}/records")
        await response.aread()
        return response


async def test_an_answer_comes_back_as_an_httpx_response(serve: Callable[[Handler], Awaitable[str]]) -> None:
    response = await get(await serve(answers))
    assert response.status_code == 200
    assert response.json() == {"ok": True}


async def test_a_refused_connection_is_a_connect_error_not_a_timeout() -> None:
    with RefusedPort() as port, pytest.raises(httpx.ConnectError):
        await get(port.url)


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (not_http, httpx.RemoteProtocolError),
        (hangs_up, httpx.RemoteProtocolError),
        (resets, (httpx.RemoteProtocolError, httpx.ReadError)),
        (cut_short, httpx.ReadError),
    ],
    ids=["not-http", "hangs-up", "resets", "cut-short"],
)
async def test_a_broken_answer_is_a_transport_error_that_is_not_a_timeout(
    serve: Callable[[Handler], Awaitable[str]], handler: Handler, error: type[Exception]
) -> None:
    url = await serve(handler)
    with pytest.raises(error) as caught:
        await get(url)
    assert not isinstance(caught.value, httpx.TimeoutException)


async def test_no_answer_within_the_read_timeout_is_a_read_timeout(
    serve: Callable[[Handler], Awaitable[str]],
) -> None:
    with pytest.raises(httpx.ReadTimeout):
        await get(await serve(hangs), timeout=0.2)
