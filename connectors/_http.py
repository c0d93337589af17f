"""The HTTP transport the `rest` and `graphql` connectors send partner calls through, and `PartnerHttp`,
which sends their calls to it directly.

The connectors speak httpx (authlib's OAuth2 client is an `httpx.AsyncClient`), but under load httpx's own
pool (httpcore over anyio) cost the hub a third of its CPU per request: a cancel scope and a socket poll
per pooled connection on every call. `partner_transport()` keeps the httpx API and sends through aiohttp's
pool and C parser instead (`httpx_aiohttp.AiohttpTransport`).

aiohttp's failures are translated here into httpx's, by what they mean for a partner call, since the
connectors read httpx's exceptions: a refused or unresolvable connection is `httpx.ConnectError`; no answer
in time a `httpx.TimeoutException`; a connection dropped or reset mid-answer, or an answer that is not
HTTP, a `httpx.RemoteProtocolError` / `httpx.ReadError`. (The package's own mapping turns some of these
into timeouts, which would misname a refused partner as a slow one.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from opentelemetry import propagate

__all__ = ["PartnerHttp", "partner_transport"]


def _translated(exc: BaseException) -> httpx.TransportError | None:
    """The httpx error an aiohttp failure (or httpx_aiohttp's translation of one) stands for."""
    cause = exc.__cause__ if isinstance(exc, httpx.TransportError) and exc.__cause__ else exc
    message = str(cause) or type(cause).__name__
    if isinstance(cause, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(cause, aiohttp.ServerTimeoutError | aiohttp.SocketTimeoutError | TimeoutError):
        return httpx.ReadTimeout(message)
    if isinstance(cause, aiohttp.ClientConnectorError):  # refused, unreachable, name not found, TLS
        return httpx.ConnectError(message)
    if isinstance(cause, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message)  # dropped before the answer, or an answer that is not HTTP
    if isinstance(cause, aiohttp.ClientPayloadError | aiohttp.ClientOSError):
        return httpx.ReadError(message)  # reset or cut off mid-answer
    if isinstance(cause, aiohttp.ClientError):
        return httpx.NetworkError(message)
    return exc if isinstance(exc, httpx.TransportError) else None


@contextmanager
def _translating() -> Iterator[None]:
    try:
        yield
    except (TimeoutError, aiohttp.ClientError, httpx.TransportError) as exc:
        translated = _translated(exc)
        if translated is None or translated is exc:
            raise
        raise translated from exc


class _Body(httpx.AsyncByteStream):
    """A response body whose read failures arrive as httpx's."""

    def __init__(self, stream: httpx.AsyncByteStream) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _translating():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _translating():
            await self._stream.aclose()


class _PartnerTransport(AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        # The hub's trace goes on to the partner (W3C `traceparent`), from the partner call's span if any.
        propagate.inject(request.headers)
        with _translating():
            response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Body(response.stream)
        return response


def partner_transport(verify: bool = True) -> httpx.AsyncBaseTransport:
    """A pooled transport for one partner's client; `verify`: check the partner's TLS certificate."""
    return _PartnerTransport(verify=verify)


class PartnerHttp:
    """One partner's calls, sent straight to its pooled transport as httpx requests.

    An `httpx.AsyncClient` would run each call through its URL merging, authentication and redirect flows
    and its cookie jar, none of which a partner call uses (tokens go as a header; partners neither
    redirect nor set cookies for the hub): under load that was a tenth of the hub's CPU per request. The
    body is read in full before the response is returned.

    Args:
        transport: The partner's transport (`partner_transport()`, or a test's `httpx.MockTransport`).
        timeout: Seconds for each phase of a call (connect, each read); the caller bounds the whole call.
        headers: Sent with every call.
    """

    def __init__(
        self, transport: httpx.AsyncBaseTransport, timeout: float, headers: dict[str, str] | None = None
    ) -> None:
        self.transport = transport
        self.headers = headers or {}
        self._timeout = httpx.Timeout(timeout).as_dict()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        request = httpx.Request(
            method,
            url,
            params=params,
            json=json,
            headers={**self.headers, **headers} if headers else self.headers,
            extensions={"timeout": self._timeout},
        )
        response = await self.transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def aclose(self) -> None:
        await self.transport.aclose()
