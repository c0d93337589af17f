"""Whatever arrives at `/graphql` (any method, content type, body, URL parameters, token), the hub answers
without a 5xx, writes exactly one audit event for it with its true outcome, and no data leaves without one.

Generated requests go over real HTTP to the hub served by uvicorn on loopback, in front of the demo
partners; the audit trail is read straight from the hub's database. Operations generated from the schema
itself (hypothesis-graphql, valid and invalid), sent with valid tokens, get no 5xx and no internal error:
HUB_FUZZ_EXAMPLES of them (40 in `make test`; CI runs more).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import graphql
import httpx
import hypothesis_graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.demo.clients import seed_demo_clients
from connectors.demo.serve import ServerThread
from hub.auth.services import AuthServices
from hub.config.settings import HubSettings
from hub.db import create_engine, prepare_database
from hub.http.app import create_app
from hub.schema import sdl
from tests.support import Partner, partner_configs

DOCUMENTS = [
    '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { id dateOfBirth } } }',
    "query S($c: PersonCriteria!) { searchPersons(criteria: $c) { people { names { familyName } } } }",
    "query A { __typename } query B { __typename }",
    "{ ...F } fragment F on Query { __schema { types { name } } }",
    "{ __typename }",
    "{ searchPersons(criteria: ",
    "{ nope }",
    "{" + " __typename" * 30 + "}",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
requests_json = st.fixed_dictionaries(
    {"query": st.sampled_from(DOCUMENTS)},
    optional={
        "variables": st.one_of(
            st.none(), st.just({"c": {"familyName": "Kilbride"}}), json_values, st.just("not an object")
        ),
        "operationName": st.one_of(st.none(), st.sampled_from(["A", "B", "S", "Z"]), st.integers()),
        "extensions": st.one_of(st.none(), json_values),
    },
)
bodies = st.one_of(
    requests_json.map(lambda r: json.dumps(r).encode()),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=300),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
)
parameter_names = st.sampled_from(
    ["query", "%71uery", "variables", "operationName", "extensions", "q", "query"]
)
parameters = st.lists(
    st.tuples(parameter_names, st.one_of(st.sampled_from(DOCUMENTS), st.text(max_size=30))), max_size=4
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "text/plain",
        "application/graphql",
        "multipart/form-data; boundary=x",
    ]
)
methods = st.sampled_from(["POST", "POST", "POST", "GET", "GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
tokens = st.sampled_from(["investigator", "child-protection", None, "garbage"])


class RunningHub:
    """The hub served by uvicorn on loopback, its audit trail in a SQLite file read directly."""

    def __init__(self, server: ServerThread, database: Path, tokens: dict[str, str]) -> None:
        self.server, self.database, self.tokens = server, database, tokens
        self.client = httpx.Client(base_url=server.url, timeout=30)

    def events(self) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(
                "SELECT seq, outcome, http_status, (SELECT count(*) FROM audit_disclosure d "
                "WHERE d.seq = e.seq) FROM audit_event e ORDER BY seq"
            ).fetchall()


@pytest.fixture(scope="module")
def running_hub(
    demo_urls: dict[str, str], southmoor_server: Partner, eastvale_server: Partner, tmp_path_factory: Any
) -> Iterator[RunningHub]:
    data_dir = tmp_path_factory.mktemp("hub")
    # Rate limits have tests of their own: here every generated request must reach the request path.
    unlimited = "1000000/second"
    hub_settings = HubSettings(
        data_dir=data_dir,
        database_url=None,
        rate_limit=unlimited,
        organisation_rate_limit=unlimited,
        anonymous_rate_limit=unlimited,
    )
    configs = partner_configs(demo_urls, southmoor_server.url, eastvale_server.url)
    server = ServerThread(create_app(hub_settings, partners=configs)).start()

    async def issue() -> dict[str, str]:
        engine = create_engine(hub_settings.effective_database_url)
        try:
            await prepare_database(engine, migrate=True)
            services = AuthServices.from_settings(hub_settings, engine)
            await services.open()
            await seed_demo_clients(services.clients)
            return {c: await services.token_for(c) for c in ("investigator", "child-protection")}
        finally:
            await engine.dispose()

    try:
        hub = RunningHub(server, data_dir / "hub.db", asyncio.run(issue()))
        with hub.client:
            yield hub
    finally:
        server.stop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=methods,
    content_type=content_types,
    body=bodies,
    params=parameters,
    token=tokens,
    purpose=st.sampled_from([None, "investigation", "safeguarding"]),
)
def test_any_request_gets_no_5xx_and_exactly_one_audit_event_with_its_true_outcome(
    running_hub: RunningHub,
    method: str,
    content_type: str | None,
    body: bytes,
    params: list[tuple[str, str]],
    token: str | None,
    purpose: str | None,
) -> None:
    headers: dict[str, str] = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if token is not None:
        headers["Authorization"] = f"Bearer {running_hub.tokens.get(token, token)}"
    if purpose is not None:
        headers["Hub-Purpose"], headers["Hub-Justification"] = purpose, "property test"
    # Parameter names go on the wire as written: "%71uery" arrives percent-encoded.
    query_string = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
    before = running_hub.events()

    response = running_hub.client.request(
        method,
        "/graphql" + (f"?{query_string}" if query_string else ""),
        content=body if method not in ("GET", "OPTIONS") else None,
        headers=headers,
    )

    assert response.status_code < 500, response.text
    after = running_hub.events()
    assert len(after) == len(before) + 1, "exactly one audit event per request"
    _, outcome, status, disclosures = after[-1]
    assert status == response.status_code
    payload = response.json() if response.content else {}
    data = payload.get("data") if isinstance(payload, dict) else None
    people = (data or {}).get("searchPersons") if isinstance(data, dict) else None
    if people and people.get("people"):
        assert outcome in ("ok", "partial") and disclosures > 0, "data left: its event records it"
    if response.status_code >= 400:
        assert outcome not in ("ok", "partial", "audit-read") and disclosures == 0
        assert (
            isinstance(payload, dict) and "data" not in payload and payload["errors"][0]["extensions"]["code"]
        )
    if response.status_code == 401:
        assert outcome == "unauthenticated"


#: How many schema-generated operations the fuzz below sends: a short run in `make test`, a long one in CI.
FUZZ_EXAMPLES = int(os.environ.get("HUB_FUZZ_EXAMPLES", "40"))
_SCALARS = {
    "Date": st.dates().map(lambda d: graphql.StringValueNode(value=d.isoformat())),
    "DateTime": st.datetimes().map(lambda d: graphql.StringValueNode(value=d.isoformat())),
}
_SCHEMA = graphql.build_schema(sdl())


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    document=st.one_of(
        hypothesis_graphql.queries(_SCHEMA, custom_scalars=_SCALARS),
        hypothesis_graphql.queries(_SCHEMA, custom_scalars=_SCALARS, mode=hypothesis_graphql.Mode.NEGATIVE),
    ),
    token=st.sampled_from(["investigator", "child-protection"]),
    purpose=st.sampled_from(["investigation", "safeguarding"]),
)
def test_operations_generated_from_the_schema_with_valid_tokens_get_no_5xx(
    running_hub: RunningHub, document: str, token: str, purpose: str
) -> None:
    headers = {
        "Authorization": f"Bearer {running_hub.tokens[token]}",
        "Hub-Purpose": purpose,
        "Hub-Justification": "schema fuzz",
        "Accept": "application/graphql-response+json",
    }
    before = len(running_hub.events())

    response = running_hub.client.post("/graphql", json={"query": document}, headers=headers)

    assert response.status_code < 500, (document, response.text)
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or body["errors"][0]["extensions"]["code"])
    for error in body.get("errors") or ():
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", (document, error)
    assert len(running_hub.events()) == before + 1
