"""Southmoor Constabulary's REST/JSON API: the demo partner that the hub's `rest` connector talks to.

Southmoor's API is its own design, not the hub's: its own resource and field names, a `status`/`result`
envelope, page numbers, and OAuth2 client credentials (RFC 6749 §4.4) in front of everything under `/api/`.

    POST /oauth/token                          client credentials -> {access_token, token_type, expires_in}
    GET  /api/v2/nominals?surname=&forename=&dob=&pnc=&page=&per_page=    search (surname matches aliases)
    GET  /api/v2/nominals?ids=SM-000001,...    nominals by id (at most 100)
         &include=warnings,intelligence,custody,safeguarding
                                               ... each with those records embedded, one list per resource
                                               named, every record as its own resource serves it
    GET  /api/v2/warnings?nominalIds=...       warning signals, one item each, tagged with its `nominalId`
    GET  /api/v2/intelligence?nominalIds=...   intelligence logs, likewise
    GET  /api/v2/custody?nominalIds=...        custody events with their offences, likewise
    GET  /api/v2/safeguarding?nominalIds=...   vulnerability referrals, likewise
    GET  /api/v2/changes?since=N&limit=L       records added or changed after cursor N: {items: [{seq, kind,
                                               ref, nominalId}], cursor}; without since, the cursor of now
    GET  /health                               {"status": "ok"}
    /_demo/...                                 request log and faults (see `connectors.demo.instrument`)

Every answer is `{"status": "ok", "result": {"items": [...], "page", "perPage", "totalPages", "totalItems"}}`
or `{"status": "error", "error": {"code", "message"}}`. Dates and times are ISO 8601, as the database holds
them. Ids the force does not know are simply absent. Tokens are opaque random strings held in memory with
their expiry: this is the partner's own system, and nothing outside it needs to read them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.demo import instrument
from connectors.demo.store import DemoStore, Row

__all__ = ["DEFAULT_CLIENTS", "MAX_IDS", "MAX_PER_PAGE", "WRONG_SHAPE", "TokenIssuer", "create_app"]

#: The hub's demo client, unless the caller registers others.
DEFAULT_CLIENTS: Mapping[str, str] = {"hub": "southmoor-demo-secret"}
MAX_IDS = 100
MAX_PER_PAGE = 100
_REALM = "southmoor"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 §5.1
#: What the `wrong_shape` fault answers (see `instrument`): a well-formed envelope around one record that
#: is not a nominal, with a numeric id and another API's field names, so a client that checks what it reads
#: must reject it whichever record it reads first.
WRONG_SHAPE: Mapping[str, Any] = {
    "status": "ok",
    "result": {
        "items": [{"nominalId": 404, "surname": "WRONG-SHAPE", "born": "1984-03-12"}],
        "page": 1,
        "perPage": 1,
        "totalPages": 1,
        "totalItems": 1,
    },
}

Handler = Callable[[Request, DemoStore], Awaitable[list[dict[str, Any]] | dict[str, Any]]]


class TokenIssuer:
    """The force's access tokens: opaque, in memory, each valid for `ttl` seconds after it is issued."""

    def __init__(self, clients: Mapping[str, str], ttl: float) -> None:
        self.clients, self.ttl = dict(clients), ttl
        self.issued_count = 0
        self._expiry: dict[str, float] = {}

    def authenticate(self, client_id: str, secret: str) -> bool:
        expected = self.clients.get(client_id)
        return expected is not None and hmac.compare_digest(expected.encode(), secret.encode())

    def issue(self) -> str:
        now = time.monotonic()
        # Forget expired tokens as new ones are issued, so the table stays as small as the live set.
        self._expiry = {t: at for t, at in self._expiry.items() if at > now}
        token = secrets.token_urlsafe(32)
        self._expiry[token] = now + self.ttl
        self.issued_count += 1
        return token

    def valid(self, token: str) -> bool:
        expiry = self._expiry.get(token)
        return expiry is not None and expiry > time.monotonic()

    def revoke_all(self) -> None:
        """Invalidate every token issued so far (what a key rotation at the force looks like to a client)."""
        self._expiry.clear()


class _BadRequest(ValueError):
    """A query the API does not accept; answered with HTTP 400 and the message."""


def _error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"status": "error", "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _oauth_error(status: int, error: str, description: str, basic: bool = False) -> JSONResponse:
    headers = dict(_NO_STORE)
    if basic:  # RFC 6749 §5.2: a client that tried HTTP Basic is told which scheme to use
        headers["WWW-Authenticate"] = f'Basic realm="{_REALM}"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


async def token_endpoint(request: Request) -> Response:
    issuer: TokenIssuer = request.app.state.tokens
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return _oauth_error(400, "invalid_request", "The body must be application/x-www-form-urlencoded.")
    try:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        return _oauth_error(400, "invalid_request", "The body is not UTF-8.")
    header = request.headers.get("authorization")
    if header is not None and "client_secret" in form:
        return _oauth_error(400, "invalid_request", "Use one client authentication method, not two.")
    if header is not None:
        credentials = _basic_credentials(header)
        if credentials is None:
            return _oauth_error(401, "invalid_client", "Malformed HTTP Basic credentials.", basic=True)
        client_id, secret = credentials
        # RFC 6749 §2.3.1 form-encodes both before Basic encoding; some clients do not, so accept either.
        ok = issuer.authenticate(client_id, secret) or issuer.authenticate(
            unquote_plus(client_id), unquote_plus(secret)
        )
        if not ok:
            return _oauth_error(401, "invalid_client", "Client authentication failed.", basic=True)
    elif not issuer.authenticate(form.get("client_id", ""), form.get("client_secret", "")):
        return _oauth_error(401, "invalid_client", "Client authentication failed.")
    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(400, "invalid_request", "grant_type is required.")
    if grant_type != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
    body = {"access_token": issuer.issue(), "token_type": "Bearer", "expires_in": math.ceil(issuer.ttl)}
    return JSONResponse(body, headers=_NO_STORE)


def _bearer_problem(request: Request) -> Response | None:
    """None if the request carries a live token, else the RFC 6750 §3 answer."""
    header, challenge = request.headers.get("authorization"), f'Bearer realm="{_REALM}"'
    if header is None:
        # RFC 6750 §3.1: a request with no credentials at all gets the challenge, but no error code.
        return _error(401, "unauthorized", "An access token is required.", {"WWW-Authenticate": challenge})
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and request.app.state.tokens.valid(token.strip()):
        return None
    message = "The access token is unknown or has expired."
    challenge += f', error="invalid_token", error_description="{message}"'
    return _error(401, "invalid_token", message, {"WWW-Authenticate": challenge})


def _api(
    kind: str | Callable[[Request], str],
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler: mark the request's kind, check the token, envelope the result, answer 400s."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            instrument.mark(request, kind if isinstance(kind, str) else kind(request))
            denied = _bearer_problem(request)
            if denied is not None:
                return denied
            try:
                result = await handler(request, request.app.state.store)
            except _BadRequest as exc:
                return _error(400, "bad_request", str(exc))
            if isinstance(result, list):  # a batch: everything asked for, on one page
                result = {
                    "items": result,
                    "page": 1,
                    "perPage": len(result),
                    "totalPages": 1,
                    "totalItems": len(result),
                }
            return JSONResponse({"status": "ok", "result": result})

        return endpoint

    return wrap


def _ids(request: Request, name: str) -> list[str]:
    raw = request.query_params.get(name)
    if raw is None:
        raise _BadRequest(f"'{name}' is required: a comma-separated list of nominal ids.")
    ids = list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    if not ids:
        raise _BadRequest(f"'{name}' must name at least one nominal id.")
    if len(ids) > MAX_IDS:
        raise _BadRequest(f"'{name}' names {len(ids)} nominals; at most {MAX_IDS} per request.")
    return ids


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    try:
        value = default if raw is None else int(raw)
    except ValueError:
        raise _BadRequest(f"'{name}' has value {raw!r}; expected a whole number.") from None
    if not low <= value <= high:
        raise _BadRequest(f"'{name}' has value {value}; expected {low} to {high}.")
    return value


#: The API's own field names for the database's columns, one table per resource.
_NOMINAL = {
    "nominalId": "nominal_ref", "lastName": "surname", "firstNames": "forenames", "dateOfBirth": "birth_date",
    "sex": "sex", "nationality": "nationality", "pncRef": "pnc_ref", "croRef": "cro_ref",
}  # fmt: skip
_ALIAS = {"lastName": "surname", "firstNames": "forenames"}
_ADDRESS = {"line1": "line1", "line2": "line2", "town": "town", "postCode": "postcode"}
_WARNING = {"code": "signal_code", "text": "signal_text", "raised": "raised_on"}
_GRADING = {"source": "source_grade", "intel": "intel_grade", "handling": "handling_code"}
_INTEL = {
    "logRef": "log_ref", "conditions": "handling_conditions", "summary": "summary_text", "text": "full_text",
    "marking": "protective_marking", "loggedAt": "logged_at",
}  # fmt: skip
_CUSTODY = {
    "custodyRef": "custody_ref", "custodyNo": "custody_number", "suite": "suite", "arrested": "arrested_at",
    "reason": "arrest_reason", "authorisedBy": "authorised_by", "released": "released_at",
    "disposal": "disposal",
}  # fmt: skip
_OFFENCE = {"code": "offence_code", "text": "offence_text"}
_REFERRAL = {
    "referralRef": "referral_ref", "type": "referral_type", "when": "occurred_at",
    "childrenPresent": "children_present", "summary": "summary_text", "contact": "contact_point",
}  # fmt: skip


def _pick(row: Row, fields: Mapping[str, str]) -> dict[str, Any]:
    """`row` under the API's field names; dates and times (datetime is a date) as ISO 8601."""
    return {name: v.isoformat() if isinstance(v := row[col], date) else v for name, col in fields.items()}


def _nominal(row: Row) -> dict[str, Any]:
    aka = [_pick(alias, _ALIAS) for alias in row["aliases"]]
    return {**_pick(row, _NOMINAL), "aka": aka, "addresses": [_pick(a, _ADDRESS) for a in row["addresses"]]}


def _warning(row: Row) -> dict[str, Any]:
    return _pick(row, _WARNING)


def _intelligence(row: Row) -> dict[str, Any]:
    return {**_pick(row, _INTEL), "grading": _pick(row, _GRADING)}


def _custody(row: Row) -> dict[str, Any]:
    flags = [flag for flag in (row["risk_flags"] or "").split(";") if flag]  # stored as one ";" string
    offences = [_pick(offence, _OFFENCE) for offence in row["offences"]]
    return {**_pick(row, _CUSTODY), "riskFlags": flags, "offences": offences}


def _safeguarding(row: Row) -> dict[str, Any]:
    return _pick(row, _REFERRAL)


def _included(request: Request) -> list[str]:
    """The resources `include=` names, checked; in the API's own order."""
    raw = request.query_params.get("include")
    if raw is None:
        return []
    named = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = sorted(named - set(_INCLUDABLE))
    if unknown:
        valid = ", ".join(_INCLUDABLE)
        raise _BadRequest(f"'include' names {', '.join(unknown)}; it takes any of {valid}.")
    return [name for name in _INCLUDABLE if name in named]


async def nominals(request: Request, store: DemoStore) -> list[dict[str, Any]] | dict[str, Any]:
    params = request.query_params
    if "ids" in params:
        if any(k in params for k in ("surname", "forename", "dob", "pnc", "page", "per_page")):
            raise _BadRequest("'ids' fetches nominals by id; it cannot be combined with search parameters.")
        ids, included = _ids(request, "ids"), _included(request)
        items = {row["nominal_ref"]: _nominal(row) for row in await store.nominals(ids)}
        for name in included:
            fetch, shape = _INCLUDABLE[name]
            grouped = await fetch(store, list(items))
            for ref, item in items.items():
                item[name] = [{"nominalId": ref, **shape(row)} for row in grouped.get(ref, [])]
        return list(items.values())
    if "include" in params:
        raise _BadRequest("'include' goes with 'ids': a search answers nominals only.")
    surname, pnc = params.get("surname", "").strip(), params.get("pnc", "").strip()
    if not surname and not pnc:
        raise _BadRequest("A search needs 'surname' or 'pnc' (or 'ids' to fetch nominals by id).")
    dob: date | None = None
    if params.get("dob"):
        try:
            dob = date.fromisoformat(params["dob"])
        except ValueError:
            raise _BadRequest(f"'dob' has value {params['dob']!r}; expected a date, YYYY-MM-DD.") from None
    page = _int(request, "page", 1, 1, 1_000_000)
    per_page = _int(request, "per_page", 50, 1, MAX_PER_PAGE)
    rows, total = await store.search(
        surname or None, params.get("forename") or None, dob, pnc or None, per_page, (page - 1) * per_page
    )
    return {
        "items": [_nominal(row) for row in rows],
        "page": page,
        "perPage": per_page,
        "totalPages": math.ceil(total / per_page),
        "totalItems": total,
    }


def _batch(
    fetch: Callable[[DemoStore, Sequence[str]], Awaitable[dict[str, list[Row]]]],
    shape: Callable[[Row], dict[str, Any]],
) -> Handler:
    async def handler(request: Request, store: DemoStore) -> list[dict[str, Any]]:
        ids = _ids(request, "nominalIds")
        grouped = await fetch(store, ids)
        return [{"nominalId": ref, **shape(row)} for ref in ids for row in grouped.get(ref, [])]

    return handler


#: What `include=` can embed in nominals fetched by id: the resource's name, how it is read and shaped.
_Rows = Callable[[DemoStore, Sequence[str]], Awaitable[dict[str, list[Row]]]]
_INCLUDABLE: Mapping[str, tuple[_Rows, Callable[[Row], dict[str, Any]]]] = {
    "warnings": (DemoStore.warnings, _warning),
    "intelligence": (DemoStore.intelligence, _intelligence),
    "custody": (DemoStore.custody, _custody),
    "safeguarding": (DemoStore.safeguarding, _safeguarding),
}
#: The hub's name for each kind of record, as the request log gives it.
_KINDS = {
    "warnings": "markers",
    "intelligence": "intelligence",
    "custody": "custody",
    "safeguarding": "safeguarding",
}


def _nominals_kind(request: Request) -> str:
    """What a request to /nominals asks for, as the request log names it."""
    if "ids" not in request.query_params:
        return "search"
    try:
        included = _included(request)
    except _BadRequest:
        included = []
    return "+".join(["people", *(_KINDS[name] for name in included)])


async def changes(request: Request, store: DemoStore) -> dict[str, Any]:
    """GET /api/v2/changes?since=N&limit=L: records added or changed after N, oldest first, and the cursor
    to ask from next; without `since`, only the cursor of now."""
    raw = request.query_params.get("since")
    if raw is not None and not raw.isdigit():
        raise _BadRequest(f"'since' has value {raw!r}; expected a cursor this feed gave.")
    limit = _int(request, "limit", 100, 1, MAX_IDS)
    rows, head = await store.changes(int(raw) if raw is not None else None, limit)
    items = [
        {
            "seq": r["change_seq"],
            "kind": r["record_kind"],
            "ref": r["record_ref"],
            "nominalId": r["nominal_ref"],
        }
        for r in rows
    ]
    cursor = str(rows[-1]["change_seq"]) if rows else (raw if raw is not None else str(head))
    return {"items": items, "cursor": cursor}


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(
    database_url: str,
    clients: Mapping[str, str] | None = None,
    token_ttl: float = 300.0,
    faults: instrument.Faults | None = None,
) -> Starlette:
    """Southmoor's API over the demo database at `database_url` (an async SQLAlchemy URL).

    Args:
        database_url: The force's database, in the `connectors.demo.layout` layout.
        clients: OAuth client ids and their secrets; by default the hub's demo client only.
        token_ttl: Seconds an access token stays valid.
        faults: The fault switches to start with (see `instrument`); by default none is on.

    Returns:
        The app; `app.state` holds `log` and `faults` (see `instrument`) and `tokens` (a `TokenIssuer`).
    """
    log, faults = instrument.RequestLog(), instrument.Faults() if faults is None else faults

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.store = DemoStore(database_url)
        try:
            yield
        finally:
            await app.state.store.aclose()

    routes = [
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/health", health),
        Route("/api/v2/nominals", _api(_nominals_kind)(nominals)),
        Route("/api/v2/warnings", _api("markers")(_batch(DemoStore.warnings, _warning))),
        Route("/api/v2/intelligence", _api("intelligence")(_batch(DemoStore.intelligence, _intelligence))),
        Route("/api/v2/custody", _api("custody")(_batch(DemoStore.custody, _custody))),
        Route("/api/v2/safeguarding", _api("safeguarding")(_batch(DemoStore.safeguarding, _safeguarding))),
        Route("/api/v2/changes", _api("changes")(changes)),
        *instrument.admin_routes(log, faults),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(instrument.Instrumented, log=log, faults=faults, wrong_shape=WRONG_SHAPE)],
        lifespan=lifespan,
    )
    app.state.log, app.state.faults = log, faults
    app.state.tokens = TokenIssuer(DEFAULT_CLIENTS if clients is None else clients, token_ttl)
    return app
