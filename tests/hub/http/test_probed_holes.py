"""The holes found by probing the running hub from outside, each reproduced as it was found: now refused
or audited. (Forged person ids: `tests/hub/federation/test_signed_ids.py`.)"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from hub.audit.store import AuditFilter, AuditUnavailable, StoredEvent
from hub.config.settings import HubSettings
from hub.http.logs import NoQueryStrings
from hub.schema import documents as documents_module
from tests.support import HubClient, Partner, open_hub, partner_configs

KILBRIDE_QUERY = (
    '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { dateOfBirth names { familyName } } } }'
)


async def events(hub: HubClient) -> list[StoredEvent]:
    found: list[StoredEvent] = await hub.app.state.audit.events(AuditFilter(), 10_000)
    return found


async def one_new_event(hub: HubClient, before: int) -> Any:
    after = await events(hub)
    assert len(after) == before + 1, "exactly one audit event per request"
    return after[-1].event


def audit_down(monkeypatch: pytest.MonkeyPatch, hub: HubClient, reason: str) -> None:
    """Every audit write fails from now on, for `reason`."""

    async def down(*_: Any) -> None:
        raise AuditUnavailable(reason)

    monkeypatch.setattr(hub.app.state.audit, "append", down)


@pytest.fixture
async def get_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    """A hub where a deployment has allowed queries in URLs."""
    settings = HubSettings(allow_get_queries=True)
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url), settings):
        yield client


# -- 1. Unaudited reads: GET with the parameter's name percent-encoded -------------------------------------


async def test_hole_1_a_get_query_is_refused_and_audited_where_get_is_not_allowed(hub: HubClient) -> None:
    before = len(await events(hub))
    headers = await hub.headers("investigator", "investigation", "Operation Kestrel")

    response = await hub.client.get(f"/graphql?%71uery={KILBRIDE_QUERY}", headers=headers)

    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    event = await one_new_event(hub, before)
    assert event.outcome == "invalid-request" and event.http_status == 405 and event.disclosed == ()
    assert event.client_id == "investigator" and event.document == KILBRIDE_QUERY


async def test_hole_1_a_get_query_with_an_encoded_parameter_name_is_audited_where_get_is_allowed(
    get_hub: HubClient,
) -> None:
    hub = get_hub
    before = len(await events(hub))
    headers = await hub.headers("investigator", "investigation", "Operation Kestrel")

    response = await hub.client.get(f"/graphql?%71uery={KILBRIDE_QUERY}", headers=headers)

    assert response.status_code == 200 and response.json()["data"]["searchPersons"]["people"]
    event = await one_new_event(hub, before)
    assert response.headers["x-request-id"] == event.request_id
    assert event.outcome == "ok" and event.disclosed and event.document == KILBRIDE_QUERY


async def test_hole_1_a_get_query_fails_closed_when_the_audit_cannot_be_written(
    get_hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_down(monkeypatch, get_hub, "the audit database is down")
    headers = await get_hub.headers("investigator", "investigation", "Operation Kestrel")

    response = await get_hub.client.get(f"/graphql?%71uery={KILBRIDE_QUERY}", headers=headers)

    assert response.status_code == 503 and "Kilbride" not in response.text and "KILBRIDE" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"


async def test_hole_1_only_a_get_without_any_parameter_is_the_ide_page(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> None:
    settings = HubSettings(graphiql=True)
    async for hub in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url), settings):
        before = len(await events(hub))
        page = await hub.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert len(await events(hub)) == before, "the page consults nothing"

        encoded = await hub.client.get(f"/graphql?%71uery={KILBRIDE_QUERY}", headers={"Accept": "text/html"})
        assert encoded.status_code == 405
        assert len(await events(hub)) == before + 1


# -- 2. Unaudited server errors: bodies that are not a GraphQL request -------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"null", b"42", b'"query"', b"[]", b"\xff\xfe\x00{", b"[" * 100_000 + b"]" * 100_000, b"{", b""],
    ids=["null", "number", "string", "batch", "not UTF-8", "nested 100,000 deep", "truncated", "empty"],
)
async def test_hole_2_a_body_that_is_not_a_request_gets_400_and_an_audit_event(
    hub: HubClient, body: bytes
) -> None:
    before = len(await events(hub))
    headers = {
        **(await hub.headers("investigator", "investigation", "x")),
        "Content-Type": "application/json",
    }

    response = await hub.client.post("/graphql", content=body[:200_000], headers=headers)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert (
        response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST" and "data" not in response.json()
    )
    event = await one_new_event(hub, before)
    assert (
        event.outcome == "invalid-request" and event.http_status == 400 and event.client_id == "investigator"
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"query": 42}, "query"),
        ({"query": "{ __typename }", "variables": "x"}, "variables"),
        ({"query": "{ __typename }", "operationName": 1}, "operationName"),
        ({"query": "{ __typename }", "extensions": []}, "extensions"),
        ({"variables": {}}, "query"),
    ],
)
async def test_hole_2_a_request_with_members_of_the_wrong_kind_says_which(
    hub: HubClient, payload: dict[str, Any], message: str
) -> None:
    response = await hub.client.post("/graphql", json=payload)

    assert response.status_code == 400 and message in response.json()["errors"][0]["message"]


# -- 4. Introspection through fragments, and suggestions ---------------------------------------------------

INTROSPECTIONS = [
    "query { ...F } fragment F on Query { __schema { types { name } } }",
    "query { ... on Query { __schema { types { name } } } }",
    "query { s: __schema { types { name } } }",
    'query { ...F } fragment F on Query { t: __type(name: "Person") { fields { name } } }',
    "query { ...F } fragment F on Query { ...G } fragment G on Query { __schema { queryType { name } } }",
]


@pytest.mark.parametrize("document", INTROSPECTIONS)
@pytest.mark.parametrize("client", [None, "frontline"])
async def test_hole_4_introspection_is_refused_wherever_it_hides_in_the_document(
    hub: HubClient, document: str, client: str | None
) -> None:
    response = await hub.post(document, client=client, purpose=None)

    body = response.json()
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTROSPECTION_NOT_ALLOWED"]
    assert "Person" not in response.text and "queryType" not in response.text


async def test_hole_4_a_developer_may_still_introspect_through_fragments(hub: HubClient) -> None:
    response = await hub.post(INTROSPECTIONS[0], client="developer", purpose=None)

    assert {"name": "Person"} in response.json()["data"]["__schema"]["types"]


@pytest.mark.parametrize("client", [None, "frontline", "child-protection"])
async def test_hole_4_no_field_suggestions_for_callers_who_may_not_see_the_schema(
    hub: HubClient, client: str | None
) -> None:
    response = await hub.post("{ acessLog(personId: 1) { events { seq } } }", client=client, purpose=None)

    assert response.status_code == 400
    assert "Did you mean" not in response.text and "accessLog" not in response.text


async def test_hole_4_a_developer_gets_suggestions(hub: HubClient) -> None:
    response = await hub.post(
        "{ acessLog(personId: 1) { events { seq } } }", client="developer", purpose=None
    )

    assert "Did you mean 'accessLog'?" in response.json()["errors"][0]["message"]


# -- 5 and 6. Work and memory an anonymous caller can cause ------------------------------------------------


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = documents_module.parse

    def counted(source: str, **kwargs: Any) -> Any:
        calls.append(source)
        return real(source, **kwargs)

    monkeypatch.setattr(documents_module, "parse", counted)
    return calls


@pytest.mark.parametrize(
    "document",
    [
        "{" + " ".join(['searchPersons(criteria:{familyName:"A"}){people{id}}'] * 1200) + "}",
        "{" + " __typename" * 19_990 + "}",
    ],
    ids=["1,200 repeated searches (77 KB)", "19,990 __typename"],
)
async def test_hole_5_an_anonymous_large_document_is_refused_unparsed_and_audited(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch, document: str
) -> None:
    parses = count_parses(monkeypatch)
    before = len(await events(hub))

    response = await hub.client.post("/graphql", json={"query": document})

    assert (
        response.status_code == 400
        and response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"
    )
    assert parses == []
    event = await one_new_event(hub, before)
    assert event.outcome == "limit-exceeded" and event.client_id is None


async def test_hole_5_a_bad_token_with_a_large_document_is_refused_unparsed(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses = count_parses(monkeypatch)
    document = "{" + " __typename" * 23_000 + "}"  # about 250 KB, inside the body limit
    before = len(await events(hub))

    response = await hub.client.post(
        "/graphql", json={"query": document}, headers={"Authorization": "Bearer not-a-token"}
    )

    assert response.status_code == 401 and parses == []
    event = await one_new_event(hub, before)
    # Kept as text, never parsed; a caller without a valid token gets the anonymous limit of it recorded.
    assert event.outcome == "unauthenticated" and event.document.startswith(document[:4096])
    assert event.document.endswith(f"[{len(document)} characters in all: the rest is not recorded]")


async def test_hole_5_a_token_holder_repeating_a_field_is_refused_before_validation(hub: HubClient) -> None:
    document = "{" + " ".join(['searchPersons(criteria:{familyName:"A"}){people{id}}'] * 300) + "}"

    response = await hub.post(document)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "HUB_MAX_REPEATED_FIELDS" in response.json()["errors"][0]["message"]


async def test_hole_6_documents_that_fail_a_check_never_enter_the_cache(hub: HubClient) -> None:
    documents = hub.app.state.schema.documents
    kept, weight = len(documents), documents.cached_bytes

    for i in range(50):
        await hub.client.post("/graphql", json={"query": "{" + f" a{i}: __typename" * 2000 + "}"})
        await hub.post("{" + f" a{i}: __typename" + " __typename" * 100 + "}")
        await hub.post("{ nope" + str(i) + " }")

    assert (len(documents), documents.cached_bytes) == (kept, weight)


# -- 7. Personal data in logs ------------------------------------------------------------------------------


def test_hole_7_the_access_log_never_writes_a_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            '/graphql?query={searchPersons(criteria:{familyName:"Kilbride"})}',
            "1.1",
            405,
        ),
        None,
    )

    assert NoQueryStrings().filter(record)
    line = record.getMessage()
    assert "Kilbride" not in line and "familyName" not in line and "/graphql?" in line


async def test_hole_7_the_hub_logs_no_document_or_variables_at_any_level(
    hub: HubClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await hub.post(
        "query Secret($c: PersonCriteria!) { searchPersons(criteria: $c) { people { id } } }",
        {"c": {"familyName": "Zanzibarova"}},
    )
    await hub.post('{ searchPersons(criteria: {familyName: "Zanzibarova"}) { nope } }')

    assert "Zanzibarova" not in caplog.text and "Secret" not in caplog.text


# -- 8. The smaller ones -----------------------------------------------------------------------------------


async def test_hole_8_two_operations_without_an_operation_name_are_refused(hub: HubClient) -> None:
    before = len(await events(hub))
    document = "query A { __typename } query B { __typename }"

    response = await hub.post(document)

    assert response.status_code == 400 and "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"
    assert (await one_new_event(hub, before)).outcome == "invalid-request"
    chosen = await hub.client.post(
        "/graphql",
        json={"query": document, "operationName": "B"},
        headers=await hub.headers("investigator", None, None),
    )
    assert chosen.status_code == 200 and chosen.json()["data"] == {"__typename": "Query"}
    missing = await hub.client.post("/graphql", json={"query": document, "operationName": "C"})
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


@pytest.mark.parametrize(
    ("request_kw", "status", "code"),
    [
        (
            {"method": "POST", "content": b"{", "headers": {"Content-Type": "application/json"}},
            400,
            "BAD_REQUEST",
        ),
        (
            {"method": "POST", "content": b"query=x", "headers": {"Content-Type": "text/plain"}},
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ({"method": "PUT", "json": {"query": "{ __typename }"}}, 405, "METHOD_NOT_ALLOWED"),
        ({"method": "DELETE"}, 405, "METHOD_NOT_ALLOWED"),
        ({"method": "GET", "headers": {"Accept": "text/html"}}, 405, "METHOD_NOT_ALLOWED"),
    ],
    ids=["bad JSON", "text/plain", "PUT", "DELETE", "GraphiQL off by default"],
)
async def test_hole_8_request_errors_are_json_without_data_and_audited(
    hub: HubClient, request_kw: dict[str, Any], status: int, code: str
) -> None:
    before = len(await events(hub))
    method = request_kw.pop("method")

    response = await hub.client.request(method, "/graphql", **request_kw)

    assert response.status_code == status
    # JSON either way: GraphQL over HTTP's own type, or plain JSON where the client accepts neither.
    assert response.headers["content-type"] in ("application/graphql-response+json", "application/json")
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == code
    event = await one_new_event(hub, before)
    assert event.outcome == "invalid-request" and event.http_status == status


async def test_hole_8_health_does_not_echo_the_audit_error(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit_down(monkeypatch, hub, "could not connect to postgres://audit:secret@db.internal:5432")
    await hub.post(KILBRIDE_QUERY)

    health = await hub.client.get("/healthz")
    assert health.json()["lastAuditWrite"] == "failed" and "db.internal" not in health.text


def test_hole_8_graphiql_is_off_unless_turned_on(repo_root: Path) -> None:
    assert HubSettings().graphiql is False
    compose = (repo_root / "docker-compose.yml").read_text(encoding="utf-8")
    # The stack's hubs run production settings, which refuse GraphiQL unless it is named as an exception.
    assert "HUB_ENV: production" in compose and "HUB_GRAPHIQL" not in compose
    assert "graphiql" not in (repo_root / "deploy" / "compose" / "demo.env").read_text()


async def test_a_defect_in_the_endpoint_is_a_500_that_is_audited(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(hub.app.state.schema.documents, "prepare", broken)
    before = len(await events(hub))

    response = await hub.post("{ __typename }")

    assert response.status_code == 500 and "a bug" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert (await one_new_event(hub, before)).outcome == "error"
