"""Every consultation leaves exactly one audit event, refused ones included, before its response leaves."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from hub.audit.store import AuditFilter, StoredEvent
from hub.config.settings import HubSettings
from tests.support import HubClient, Partner, open_hub, partner_configs

RECORDS = """query Records($id: ID!) { person(id: $id) {
  sources { partner recordId }
  intelligence { id partner } custody { id partner } safeguarding { id partner } } }"""

SEARCH = """query Find($c: PersonCriteria!) {
  searchPersons(criteria: $c) { people { id sources { partner recordId } } } }"""


async def all_events(hub: HubClient) -> list[StoredEvent]:
    events: list[StoredEvent] = await hub.app.state.audit.events(AuditFilter(), 10_000)
    return events


async def kilbride(hub: HubClient) -> str:
    body = await hub.query(SEARCH, {"c": {"familyName": "Kilbride"}})
    return str(body["data"]["searchPersons"]["people"][0]["id"])


@pytest.mark.parametrize(
    ("client", "purpose"),
    [
        ("investigator", "investigation"),
        ("frontline", "officer-safety"),
        ("child-protection", "safeguarding"),
    ],
)
async def test_each_query_leaves_one_event_whose_disclosures_match_the_response(
    hub: HubClient, client: str, purpose: str
) -> None:
    person_id = await kilbride(hub)
    before = len(await all_events(hub))

    response = await hub.post(RECORDS, {"id": person_id}, client=client, purpose=purpose)

    events = await all_events(hub)
    assert len(events) == before + 1
    stored = events[-1]
    event = stored.event
    assert event.client_id == client and event.purpose == purpose and event.justification
    assert event.request_id == response.headers["X-Request-Id"]
    assert re.fullmatch(r"audit;dur=\d+\.\d\d", response.headers["Server-Timing"])
    assert event.operation_name == "Records" and event.document and stored.document_hash
    assert event.variables == {"id": person_id}
    assert event.http_status == 200 and event.outcome == "ok"
    assert event.organisation_type and event.scopes
    person = response.json()["data"]["person"]
    returned = {(s["partner"], "person", s["recordId"]) for s in person["sources"]}
    for kind in ("intelligence", "custody", "safeguarding"):
        returned |= {(r["partner"], kind, r["id"]) for r in person[kind] or []}
    assert {(d.partner, d.kind, d.record_id) for d in event.disclosed} == returned
    denied = {
        f"person.{kind}" for kind in ("intelligence", "custody", "safeguarding") if person[kind] is None
    }
    assert set(event.denied_fields) == denied


async def test_a_developers_introspection_leaves_one_event_and_discloses_nothing(hub: HubClient) -> None:
    before = len(await all_events(hub))

    response = await hub.post(
        "query Schema { __schema { queryType { name } } }", client="developer", purpose=None
    )

    assert response.status_code == 200 and response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
    events = await all_events(hub)
    assert len(events) == before + 1
    event = events[-1].event
    assert (event.client_id, event.operation_name, event.outcome) == ("developer", "Schema", "ok")
    assert event.organisation_type and event.disclosed == () and event.purpose is None


@pytest.mark.parametrize(
    ("kw", "outcome", "status"),
    [
        ({"client": None}, "unauthenticated", 401),
        ({"purpose": None}, "purpose-refused", 200),
        ({"client": "child-protection", "purpose": "investigation"}, "purpose-refused", 200),
    ],
)
async def test_refused_requests_are_recorded_with_their_outcome_and_nothing_disclosed(
    hub: HubClient, kw: dict[str, Any], outcome: str, status: int
) -> None:
    response = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}}, **kw)

    assert response.status_code == status
    event = (await all_events(hub))[-1].event
    assert event.outcome == outcome and event.http_status == status
    assert event.disclosed == ()


async def test_a_bad_token_is_recorded_too(hub: HubClient) -> None:
    response = await hub.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer garbage"}
    )

    assert response.status_code == 401
    event = (await all_events(hub))[-1].event
    assert (
        event.outcome == "unauthenticated" and event.client_id is None and event.document == "{ __typename }"
    )


async def test_malformed_graphql_is_recorded_as_an_invalid_request(hub: HubClient) -> None:
    await hub.post("{ searchPersons(")

    event = (await all_events(hub))[-1].event
    assert event.outcome == "invalid-request" and event.disclosed == ()


async def test_secrets_in_variables_are_redacted(hub: HubClient) -> None:
    await hub.post(
        "query($c: PersonCriteria!, $password: String) { searchPersons(criteria: $c) { people { id } } }",
        {"c": {"familyName": "Kilbride"}, "password": "hunter2"},
    )

    event = (await all_events(hub))[-1].event
    assert event.variables["password"] == "[REDACTED]"
    assert "hunter2" not in str(event.variables)


@pytest.fixture
async def fragile_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner, tmp_path: Path
) -> Any:
    settings = HubSettings(audit_write_timeout_seconds=0.5)
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url), settings, tmp_path):
        yield client


async def test_no_data_leaves_when_the_audit_cannot_be_written_and_service_resumes(
    fragile_hub: HubClient, tmp_path: Path
) -> None:
    hub = fragile_hub
    assert (await hub.client.get("/healthz")).status_code == 200
    # Another process holds the hub database's write lock past the audit write timeout.
    blocker = sqlite3.connect(tmp_path / "hub.db", timeout=0.1, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        response = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}})
        health = await hub.client.get("/healthz")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()

    assert response.status_code == 503
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"
    assert "Kilbride" not in response.text and "KILBRIDE" not in response.text
    assert health.json()["lastAuditWrite"] == "failed"  # whether, not why: the reason is for the log
    again = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}})
    assert again.status_code == 200 and again.json()["data"]["searchPersons"]["people"]
    assert (await hub.client.get("/healthz")).json()["lastAuditWrite"] == "ok"
