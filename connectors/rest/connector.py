"""The `rest` connector kind: a partner REST/JSON API behind OAuth2 client credentials.

It speaks the API that Southmoor Constabulary publishes (`connectors.demo.rest_partner`): a paged nominal
search, and records by nominal id in one batched request per call whatever the number of people (chunked
only beyond the partner's limit of ids per request, and the chunks sent concurrently). Where the API embeds
records in nominals fetched by id (`GET /api/v2/nominals?ids=...&include=warnings,custody`, as JSON:API's
`include` does; `include = true`), a person and everything held on them cost one request; otherwise each
kind of record is its own request, all sent at once. Configuration, in the
partners file:

    [partners.connection]
    base_url = "https://api.southmoor.example"   # required: the API root (holding /api/v2, /health)
    token_url = "https://.../oauth/token"        # optional: default base_url + /oauth/token
    client_id = "hub"                            # required: the hub's OAuth client at the partner
    client_secret = "${SOUTHMOOR_SECRET}"        # required: its secret (sent with HTTP Basic)
    page_size = 50                               # optional: search results per request, 1 to 100
    verify_tls = true                            # optional: check the partner's certificate (default)
    token_leeway = 10                            # optional: seconds before expiry that a token is replaced
    include = true                               # optional: the API embeds records with `include=` (below)
    changes = true                               # optional: the API has GET /api/v2/changes (watches)

Tokens come from authlib's `AsyncOAuth2Client` (an `httpx.AsyncClient`): fetched on first use, replaced
when they expire (client credentials have no refresh token, so a new one is fetched), and replaced once more
if the partner still answers 401. API calls carry the token as an `Authorization` header and go straight to
the pooled transport the token client shares (`connectors._http.PartnerHttp`). Every httpx and authlib
error is translated here into a `PartnerError`.
"""

from __future__ import annotations

import asyncio
import itertools
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import httpx

from connectors._calls import all_or_none
from connectors._http import PartnerHttp, partner_transport
from connectors.canonical import (
    CustodyRecord,
    IntelligenceReport,
    PersonRecord,
    SafeguardingConcern,
    SearchCriteria,
    WarningMarker,
)
from connectors.contract import (
    RECORD_KINDS,
    BaseConnector,
    Capability,
    ChangePage,
    Fetched,
    PartnerConfig,
    Wanted,
)
from connectors.errors import (
    ConnectorError,
    PartnerBadResponse,
    PartnerTimeout,
    PartnerUnavailable,
)
from connectors.rest import _mapping as m
from connectors.rest._settings import MAX_PAGE_SIZE, RestSettings

with warnings.catch_warnings():
    # authlib warns (a DeprecationWarning, at import) that it would rather drive the `httpx2` fork than httpx;
    # the hub is built on httpx, and the warning would otherwise fail every test run (warnings are errors).
    # authlib's own module installs an "always show" filter when first imported: import it first, so that
    # the filter below is the one that wins.
    import authlib.deprecate  # noqa: F401

    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

__all__ = ["MAX_IDS_PER_REQUEST", "RestConnector"]

T = TypeVar("T")

#: Most nominal ids the partner answers for in one request.
MAX_IDS_PER_REQUEST = MAX_PAGE_SIZE
_NOMINALS = "/api/v2/nominals"
#: Longest piece of a partner's own error message repeated in ours.
_MAX_DETAIL = 200
Reader = Callable[[str, Any, str], tuple[str, T]]
#: The API's name for each kind of record it can embed in a nominal (`include=`), and their readers.
_INCLUDE = {
    Capability.MARKERS: "warnings",
    Capability.INTELLIGENCE: "intelligence",
    Capability.CUSTODY: "custody",
    Capability.SAFEGUARDING: "safeguarding",
}
_READERS: dict[Capability, Reader[Any]] = {
    Capability.MARKERS: m.read_marker,
    Capability.INTELLIGENCE: m.read_intelligence,
    Capability.CUSTODY: m.read_custody,
    Capability.SAFEGUARDING: m.read_safeguarding,
}


class RestConnector(BaseConnector):
    """A partner's REST API, reached with one pooled OAuth2 httpx client opened in `open()`.

    Args:
        config: The partner's entry in the partners file; see the module docstring for its connection keys.
        transport: An httpx transport to use instead of the network, for tests (`httpx.MockTransport`).

    Raises:
        ConnectorConfigError: Listing every problem with the connection settings.
    """

    kind = "rest"
    supported = frozenset(Capability)

    def __init__(self, config: PartnerConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(config)
        self.settings = RestSettings.from_config(config)
        if not self.settings.changes:  # no feed in the partner's API: none to offer
            self._withdraw(
                Capability.CHANGES, "connection.changes = true (the partner's API has GET /api/v2/changes)"
            )
        self._transport = transport
        self._client: Any = None  # AsyncOAuth2Client, for tokens; authlib ships no type information
        self._http: PartnerHttp | None = None  # the API calls, on the same transport
        self._token_lock = asyncio.Lock()

    async def open(self) -> None:
        if self._client is None:
            s = self.settings
            transport = self._transport or partner_transport(s.verify_tls)
            self._http = PartnerHttp(transport, self.config.timeout, {"Accept": "application/json"})
            self._client = AsyncOAuth2Client(
                client_id=s.client_id,
                client_secret=s.client_secret.get_secret_value(),
                token_endpoint_auth_method="client_secret_basic",
                # Stored as the client's metadata: what lets authlib fetch a fresh token once one expires.
                token_endpoint=s.token_url,
                grant_type="client_credentials",
                leeway=s.token_leeway,
                base_url=s.base_url,
                timeout=httpx.Timeout(self.config.timeout),
                verify=s.verify_tls,
                transport=transport,
                headers={"Accept": "application/json"},
            )

    async def aclose(self) -> None:
        client, self._client, self._http = self._client, None, None
        if client is not None:
            await client.aclose()  # and with it the transport the API calls share

    async def health(self) -> None:
        """Return if the partner's `/health` answers `{"status": "ok"}`; raise a `PartnerError` if not."""
        body = await self._get("/health", {}, authorised=False)
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise PartnerBadResponse(self.name, 'GET /health: the answer is not {"status": "ok"}')

    async def search_people(self, criteria: SearchCriteria, limit: int) -> list[PersonRecord]:
        if limit <= 0 or not (criteria.family_name or criteria.pnc_id):
            return []  # the partner searches by surname or PNC ID only; without either it can find no one
        params = {
            "surname": criteria.family_name,
            "forename": criteria.given_name,
            "dob": criteria.date_of_birth.isoformat() if criteria.date_of_birth else None,
            "pnc": criteria.pnc_id,
            "per_page": str(min(self.settings.page_size, limit)),
        }
        query = {key: value for key, value in params.items() if value}
        found: dict[str, PersonRecord] = {}
        what = f"GET {_NOMINALS}"
        for number in itertools.count(1):
            body = await self._get(_NOMINALS, {**query, "page": str(number)})
            with self._reading():
                page = m.read_page(body, what)
                for i, item in enumerate(page.items):
                    record = m.read_person(self.name, item, f"{what}.result.items[{i}]")
                    # A record that moved to the next page while we paged counts once.
                    found.setdefault(record.record_id, record)
            if len(found) >= limit or not page.items or number >= page.total_pages:
                break
        return list(found.values())[:limit]

    async def changes(self, since: str | None, limit: int) -> ChangePage:
        """The API's change feed: `GET /api/v2/changes?since=` (one request per page)."""
        self._require([Capability.CHANGES])
        params = {
            "limit": str(min(limit, MAX_IDS_PER_REQUEST)),
            **({"since": since} if since is not None else {}),
        }
        body = await self._get("/api/v2/changes", params)
        what = "GET /api/v2/changes"
        with self._reading():
            return m.read_changes(body, what)

    async def fetch(self, wanted: Wanted) -> Fetched:
        """One request per call where the API embeds records (`include`), else one per kind at once."""
        if not self.settings.include or len([ids for ids in wanted.values() if ids]) < 2:
            return await super().fetch(wanted)
        self._require(wanted, among=RECORD_KINDS)
        asked = {kind: {ref for ref in ids if ref and "," not in ref} for kind, ids in wanted.items() if ids}
        refs = list(dict.fromkeys(ref for kind, ids in asked.items() for ref in wanted[kind] if ref in ids))
        include = ",".join(_INCLUDE[kind] for kind in _INCLUDE if kind in asked)
        chunks = [refs[i : i + MAX_IDS_PER_REQUEST] for i in range(0, len(refs), MAX_IDS_PER_REQUEST)]
        bodies = await all_or_none(
            [self._get(_NOMINALS, {"ids": ",".join(chunk), "include": include}) for chunk in chunks]
        )
        found: dict[Capability, dict[str, Any]] = {kind: {} for kind in asked}
        what = f"GET {_NOMINALS}"
        with self._reading():
            for body in bodies:
                for i, item in enumerate(m.read_page(body, what).items):
                    where = f"{what}.result.items[{i}]"
                    person = m.read_person(self.name, item, where)
                    ref = person.record_id
                    if ref in asked.get(Capability.PEOPLE, ()):
                        found[Capability.PEOPLE][ref] = person
                    for kind, name in _INCLUDE.items():
                        if ref not in asked.get(kind, ()):
                            continue  # a record about someone not asked for is not ours to pass on
                        for j, included in enumerate(m.included(item, name, where)):
                            owner, record = _READERS[kind](self.name, included, f"{where}.{name}[{j}]")
                            if owner != ref:
                                raise m.Malformed(f"{where}.{name}[{j}].nominalId: {owner!r} is not {ref!r}")
                            found[kind].setdefault(ref, []).append(record)
        return found

    async def get_people(self, ids: Sequence[str]) -> Mapping[str, PersonRecord]:
        def keyed(partner: str, item: Any, where: str) -> tuple[str, PersonRecord]:
            record = m.read_person(partner, item, where)
            return record.record_id, record

        return {ref: records[0] for ref, records in (await self._batch(_NOMINALS, "ids", ids, keyed)).items()}

    async def get_markers(self, ids: Sequence[str]) -> Mapping[str, list[WarningMarker]]:
        return await self._batch("/api/v2/warnings", "nominalIds", ids, m.read_marker)

    async def get_intelligence(self, ids: Sequence[str]) -> Mapping[str, list[IntelligenceReport]]:
        return await self._batch("/api/v2/intelligence", "nominalIds", ids, m.read_intelligence)

    async def get_custody(self, ids: Sequence[str]) -> Mapping[str, list[CustodyRecord]]:
        return await self._batch("/api/v2/custody", "nominalIds", ids, m.read_custody)

    async def get_safeguarding(self, ids: Sequence[str]) -> Mapping[str, list[SafeguardingConcern]]:
        return await self._batch("/api/v2/safeguarding", "nominalIds", ids, m.read_safeguarding)

    async def _batch(
        self, path: str, param: str, ids: Sequence[str], reader: Reader[T]
    ) -> dict[str, list[T]]:
        # A comma cannot be in one of the partner's ids (it separates them); such an id is simply unknown.
        refs = [ref for ref in dict.fromkeys(ids) if ref and "," not in ref]
        chunks = [refs[i : i + MAX_IDS_PER_REQUEST] for i in range(0, len(refs), MAX_IDS_PER_REQUEST)]
        bodies = await all_or_none([self._get(path, {param: ",".join(chunk)}) for chunk in chunks])
        what, wanted, grouped = f"GET {path}", set(refs), dict[str, list[T]]()
        with self._reading():
            for body in bodies:
                for i, item in enumerate(m.read_page(body, what).items):
                    ref, record = reader(self.name, item, f"{what}.result.items[{i}]")
                    if ref in wanted:  # a record about someone not asked for is not ours to pass on
                        grouped.setdefault(ref, []).append(record)
        return grouped

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Report a partner answer that the readers in `_mapping` cannot make sense of."""
        try:
            yield
        except m.Malformed as exc:
            raise PartnerBadResponse(self.name, _truncate(str(exc))) from exc

    async def _get(self, path: str, params: Mapping[str, str], authorised: bool = True) -> Any:
        """GET `path` (with a bearer token unless told not to) and return its JSON body, or raise."""
        client, http = self._client, self._http
        if client is None or http is None:
            raise ConnectorError(f"Partner '{self.name}': the connector was used before open().")
        what, timeout, url = f"GET {path}", self.config.timeout, self.settings.base_url + path
        try:
            # httpx's timeout bounds each phase (connect, each read); the partner's timeout bounds the call.
            async with asyncio.timeout(timeout):
                if not authorised:
                    response = await http.request("GET", url)
                else:
                    # The token goes as a header, fetched and replaced here (`_bearer`, `_token`).
                    bearer = await self._bearer(client)
                    response = await http.request("GET", url, params=params, headers=_authorised(bearer))
                    if response.status_code == 401:
                        await self._token(client, rejected=bearer)
                        bearer = await self._bearer(client)
                        response = await http.request("GET", url, params=params, headers=_authorised(bearer))
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise PartnerTimeout(self.name, f"{what}: no answer within {timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise PartnerUnavailable(
                self.name, f"{what}: cannot reach the partner ({type(exc).__name__})"
            ) from exc
        return self._body(response, what)

    async def _bearer(self, client: Any) -> str:
        """The Authorization header for the next call: the token held while it is live (checked when it
        was fetched), else a new one."""
        token = client.token
        if not token or token.is_expired(leeway=self.settings.token_leeway):
            await self._token(client)
            token = client.token
        return f"Bearer {token['access_token']}"

    async def _token(self, client: Any, rejected: str | None = None) -> None:
        """Make sure `client` holds a live token: the first one, or a new one if it expired or was `rejected`.

        `rejected` is the Authorization header the partner answered 401 to; if another call has replaced that
        token meanwhile, the replacement is used rather than fetching yet another.
        """
        try:
            async with self._token_lock:
                token = client.token
                if not token or (rejected is not None and rejected == f"Bearer {token.get('access_token')}"):
                    await client.fetch_token(grant_type="client_credentials")
                elif rejected is None:
                    await client.ensure_active_token(token)
                token = client.token
                access, kind = token.get("access_token"), token.get("token_type", "bearer")
                if (
                    not isinstance(access, str)
                    or not access
                    or not isinstance(kind, str)
                    or kind.lower() != "bearer"
                ):
                    client.token = None  # so that the next call asks again rather than sending this one
                    raise PartnerUnavailable(self.name, "the token endpoint's answer holds no bearer token")
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            raise PartnerUnavailable(self.name, f"the token endpoint answered HTTP {status}") from exc
        except OAuthError as exc:
            reason = self._redact(str(exc.error))
            raise PartnerUnavailable(
                self.name, f"the token endpoint refused the hub's client ({reason})"
            ) from exc
        except (ValueError, TypeError) as exc:  # authlib's reading of a token answer that is not one
            raise PartnerUnavailable(self.name, "the token endpoint's answer is not an OAuth token") from exc

    def _body(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        if status == 401:
            raise PartnerUnavailable(
                self.name, f"{what}: the partner refused a freshly issued token (HTTP 401)"
            )
        if status >= 500 or status in (403, 408, 429):
            raise PartnerUnavailable(self.name, f"{what}: HTTP {status} from the partner")
        if status >= 400:
            raise PartnerBadResponse(
                self.name, f"{what}: HTTP {status} from the partner{self._detail(response)}"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise PartnerBadResponse(self.name, f"{what}: the answer is not JSON (HTTP {status})") from exc

    def _detail(self, response: httpx.Response) -> str:
        """The partner's own explanation of an error answer, if it gave one."""
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            return ""
        message = error.get("message") if isinstance(error, dict) else None
        return f": {_truncate(self._redact(message))}" if isinstance(message, str) else ""

    def _redact(self, text: str) -> str:
        """`text` with the client secret and the current token blanked, in case a partner echoes them."""
        token = self._client.token if self._client is not None else None
        for secret in (
            self.settings.client_secret.get_secret_value(),
            token.get("access_token") if token else None,
        ):
            if isinstance(secret, str) and secret:
                text = text.replace(secret, "***")
        return text


def _authorised(bearer: str) -> dict[str, str]:
    return {"Authorization": bearer}


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"
