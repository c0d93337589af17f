"""The `graphql` connector kind: a partner that publishes its records through a GraphQL endpoint.

It speaks the batched subject schema that Eastvale Police publishes (`connectors.demo.graphql_partner`):
one HTTP request per call, whatever the number of people and the kinds of record asked for (one document
with a root field per kind; chunked only beyond the partner's limit of refs per call, and the chunks sent
concurrently). Configuration, in the partners file:

    [partners.connection]
    url = "https://api.eastvale.example/graphql"   # required: the GraphQL endpoint
    headers = { "X-Api-Key" = "${EASTVALE_KEY}" }   # optional: extra headers sent on every request
    verify_tls = true                               # optional: check the partner's certificate (default)

Every httpx error, HTTP status and GraphQL error is translated here into a `connectors.errors.PartnerError`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import httpx
from pydantic import AfterValidator, Field, StrictStr

from connectors._calls import all_or_none
from connectors._http import PartnerHttp, partner_transport
from connectors.canonical import (
    PersonRecord,
    SearchCriteria,
)
from connectors.contract import Capability, ChangePage, Fetched, FetchingConnector, PartnerConfig, Wanted
from connectors.errors import (
    ConnectorError,
    PartnerBadResponse,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.graphql import _mapping as m
from connectors.settings import ConnectionSettings, HttpUrlText

__all__ = ["MAX_REFS_PER_REQUEST", "GraphQLConnector"]

T = TypeVar("T")

#: Most subject refs (and search results) the partner answers for in one request.
MAX_REFS_PER_REQUEST = 200
#: Longest piece of a partner's own error message repeated in ours.
_MAX_DETAIL = 200
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _header_name(name: str) -> str:
    if not _HEADER_NAME.match(name):
        raise ValueError(f"{name!r} is not a header name")
    return name


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("a header value must be one line")
    return value


_HeaderName = Annotated[StrictStr, AfterValidator(_header_name)]
_HeaderValue = Annotated[StrictStr, AfterValidator(_one_line)]


class GraphQLSettings(ConnectionSettings):
    """The `graphql` kind's connection settings (see the module docstring)."""

    #: Header values are usually secrets (API keys): never repeated in an error.
    secret_keys = frozenset({"headers"})

    url: HttpUrlText
    headers: dict[_HeaderName, _HeaderValue] = Field(default_factory=dict)
    verify_tls: bool = True


class GraphQLConnector(FetchingConnector):
    """A partner's GraphQL endpoint, reached through a pooled transport opened in `open()`.

    Args:
        config: The partner's entry in the partners file; see the module docstring for its connection keys.
        transport: An httpx transport to use instead of the network, for tests (`httpx.MockTransport`).

    Raises:
        ConnectorConfigError: Listing every problem with the connection settings.
    """

    kind = "graphql"
    supported = frozenset(Capability)

    def __init__(self, config: PartnerConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        settings = GraphQLSettings.from_config(config)
        self.url, self.headers, self.verify_tls = settings.url, dict(settings.headers), settings.verify_tls
        self._transport = transport
        self._client: PartnerHttp | None = None

    async def open(self) -> None:
        if self._client is None:
            self._client = PartnerHttp(
                self._transport or partner_transport(self.verify_tls),
                self.config.timeout,
                {"Accept": "application/json", **self.headers},
            )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def health(self) -> None:
        """Return if the endpoint answers a trivial query; raise a `PartnerError` if it does not."""
        data = await self._execute("HubHealth", m.HEALTH, {})
        if not isinstance(data.get("__typename"), str):
            raise PartnerBadResponse(self.name, "HubHealth: the answer has no data.__typename")

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        if limit <= 0:
            return []
        variables = {
            "surname": criteria.family_name,
            "forenames": criteria.given_name,
            "born": criteria.date_of_birth.isoformat() if criteria.date_of_birth else None,
            "pncNumber": criteria.pnc_id,
            # The partner refuses a bigger page; its first page is the best answer it can give.
            "limit": min(limit, MAX_REFS_PER_REQUEST),
        }
        return [record for _ref, record in await self._run(m.SEARCH, variables)]

    async def fetch(self, wanted: Wanted) -> Fetched:
        """Every record kind wanted in one document (`_mapping.records_document`): one request per
        `MAX_REFS_PER_REQUEST` refs, the chunks sent concurrently."""
        self._require(wanted, among=m.PARTS)
        refs = {kind: list(dict.fromkeys(ids)) for kind, ids in wanted.items() if ids}
        if not refs:
            return {}
        longest = max(len(r) for r in refs.values())
        chunks = [
            {kind: r[start : start + MAX_REFS_PER_REQUEST] for kind, r in refs.items() if r[start:]}
            for start in range(0, longest, MAX_REFS_PER_REQUEST)
        ]
        answers = await all_or_none([self._records(chunk) for chunk in chunks])
        found: dict[Capability, dict[str, Any]] = {kind: {} for kind in refs}
        for kind, records in found.items():
            asked = set(refs[kind])
            for answer in answers:
                for ref, record in answer.get(kind, ()):
                    if ref not in asked:  # a record about someone not asked for is not ours to pass on
                        continue
                    if kind is Capability.PEOPLE:
                        records.setdefault(ref, record)
                    else:
                        records.setdefault(ref, []).append(record)
        return found

    async def changes(self, since: str | None, limit: int) -> ChangePage:
        """Eastvale's change feed (`changes(after:)`): one request per page."""
        self._require([Capability.CHANGES])
        data = await self._execute(
            "HubChanges", m.CHANGES, {"after": since, "limit": min(limit, MAX_REFS_PER_REQUEST)}
        )
        try:
            return m.read_changes(data)
        except m.Malformed as exc:
            raise PartnerBadResponse(self.name, f"HubChanges: {_truncate(str(exc))}") from exc

    async def _records(self, refs: Mapping[Capability, list[str]]) -> dict[Capability, list[tuple[str, Any]]]:
        name, document = m.records_document(tuple(refs))
        data = await self._execute(name, document, {kind.value: ids for kind, ids in refs.items()})
        try:
            return {kind: m.read_records(self.name, kind, data) for kind in refs}
        except m.Malformed as exc:
            raise PartnerBadResponse(self.name, f"{name}: {_truncate(str(exc))}") from exc

    async def _run(self, operation: m.Operation[T], variables: dict[str, Any]) -> list[tuple[str, T]]:
        data = await self._execute(operation.name, operation.document, variables)
        try:
            return operation.read(self.name, data)
        except m.Malformed as exc:
            raise PartnerBadResponse(self.name, f"{operation.name}: {_truncate(str(exc))}") from exc

    async def _execute(self, name: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """POST one named operation and return its `data`, translating every failure to a `PartnerError`."""
        if self._client is None:
            raise ConnectorError(f"Partner '{self.name}': the connector was used before open().")
        payload = {"query": document, "variables": variables, "operationName": name}
        timeout = self.config.timeout
        try:
            # httpx's timeout bounds each phase (connect, each read); the partner's timeout bounds the call.
            async with asyncio.timeout(timeout):
                response = await self._client.request("POST", self.url, json=payload)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise PartnerTimeout(self.name, f"{name}: no answer within {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            reason = type(exc).__name__
            raise PartnerUnavailable(self.name, f"{name}: cannot reach the partner ({reason})") from exc
        status = response.status_code
        if status in (401, 403):
            # Retrying cannot help: the partner wants other credentials (connection.headers).
            refused = f"{name}: the partner refused the hub's credentials (HTTP {status})"
            raise PartnerUnavailable(self.name, refused, retriable=False)
        if status >= 500 or status in (408, 429):
            raise PartnerUnavailable(self.name, f"{name}: HTTP {status} from the partner")
        try:
            body = response.json()
        except ValueError as exc:
            raise PartnerBadResponse(self.name, f"{name}: the answer is not JSON (HTTP {status})") from exc
        if not isinstance(body, dict):
            raise PartnerBadResponse(self.name, f"{name}: the answer is not a GraphQL response object")
        errors = body.get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) else errors
            message = first.get("message") if isinstance(first, dict) else None
            detail = message if isinstance(message, str) else repr(first)
            raise PartnerBadResponse(self.name, f"{name}: the partner reported an error: {_truncate(detail)}")
        if status >= 400:
            raise PartnerBadResponse(self.name, f"{name}: HTTP {status} from the partner")
        data = body.get("data")
        if not isinstance(data, dict):
            raise PartnerBadResponse(self.name, f"{name}: the answer has no data")
        return data
