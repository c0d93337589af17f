"""Auditors' view of the trail: filtered pages of events, and who looked at a person."""

from __future__ import annotations

from typing import Any

from hub.audit.store import AuditFilter
from tests.support import HubClient

SEARCH = """query($c: PersonCriteria!) {
  searchPersons(criteria: $c) { people { id sources { partner recordId } } } }"""
ACCESS_LOG = """query($id: ID!, $after: String) { accessLog(personId: $id, first: 2, after: $after) {
  events { seq requestId clientId purpose outcome disclosed { partner kind recordId personRecordId } }
  endCursor hasNextPage } }"""
EVENTS = """query($f: AuditEventFilter, $after: String) { auditEvents(filter: $f, first: 3, after: $after) {
  events { seq clientId outcome purpose } endCursor hasNextPage } }"""


async def audit(hub: HubClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = await hub.query(query, variables, client="auditor", purpose="audit")
    assert "errors" not in body, body
    return body["data"]


async def all_pages(hub: HubClient, query: str, variables: dict[str, Any], root: str) -> list[dict[str, Any]]:
    events, after = [], None
    while True:
        page = (await audit(hub, query, {**variables, "after": after}))[root]
        events += page["events"]
        if not page["hasNextPage"]:
            return events
        after = page["endCursor"]


async def test_access_log_shows_exactly_the_events_that_disclosed_the_person(hub: HubClient) -> None:
    found = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}})
    [kilbride] = found.json()["data"]["searchPersons"]["people"]
    by_id = await hub.post("query($id: ID!) { person(id: $id) { custody { id } } }", {"id": kilbride["id"]})
    unrelated = await hub.post(
        SEARCH, {"c": {"familyName": "Marsh"}}, client="child-protection", purpose="safeguarding"
    )
    refused = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}}, purpose=None)

    events = await all_pages(hub, ACCESS_LOG, {"id": kilbride["id"]}, "accessLog")

    request_ids = [e["requestId"] for e in events]
    assert request_ids == [found.headers["X-Request-Id"], by_id.headers["X-Request-Id"]]
    assert unrelated.headers["X-Request-Id"] not in request_ids
    assert refused.headers["X-Request-Id"] not in request_ids
    sources = {(s["partner"], s["recordId"]) for s in kilbride["sources"]}
    for event in events:
        assert {(d["partner"], d["personRecordId"]) for d in event["disclosed"]} <= sources
    assert {d["kind"] for d in events[1]["disclosed"]} == {"person", "custody"}


async def test_a_hit_no_hit_check_is_in_the_access_log_of_the_person_it_matched(hub: HubClient) -> None:
    found = await hub.post(SEARCH, {"c": {"familyName": "Kilbride"}})
    [kilbride] = found.json()["data"]["searchPersons"]["people"]
    check = await hub.post(
        "query($c: PersonCriteria!) { personMatch(criteria: $c) { hit } }",
        {"c": {"familyName": "Kilbride", "dateOfBirth": "1984-03-12"}},
        client="child-protection",
        purpose="safeguarding",
    )
    missed = await hub.post(
        "query($c: PersonCriteria!) { personMatch(criteria: $c) { hit } }",
        {"c": {"familyName": "Nobodyknowsthisname"}},
        client="child-protection",
        purpose="safeguarding",
    )

    events = await all_pages(hub, ACCESS_LOG, {"id": kilbride["id"]}, "accessLog")

    assert check.json()["data"]["personMatch"]["hit"] is True
    checked = next(e for e in events if e["requestId"] == check.headers["X-Request-Id"])
    assert checked["clientId"] == "child-protection" and checked["purpose"] == "safeguarding"
    assert {d["kind"] for d in checked["disclosed"]} == {"match"}
    sources = {(s["partner"], s["recordId"]) for s in kilbride["sources"]}
    assert {(d["partner"], d["recordId"]) for d in checked["disclosed"]} <= sources
    assert missed.headers["X-Request-Id"] not in {e["requestId"] for e in events}


async def test_audit_events_filter_page_and_hide_the_auditors_own_events(hub: HubClient) -> None:
    for _ in range(4):
        await hub.post(SEARCH, {"c": {"familyName": "Okafor"}})
    await hub.post(SEARCH, {"c": {"familyName": "Okafor"}}, purpose=None)
    await audit(hub, EVENTS, {"f": {}})  # the auditor's own reads are recorded, but not shown to them

    ok = await all_pages(hub, EVENTS, {"f": {"clientId": "investigator", "outcome": "ok"}}, "auditEvents")
    refused = await all_pages(hub, EVENTS, {"f": {"outcome": "purpose-refused"}}, "auditEvents")
    everything = await all_pages(hub, EVENTS, {"f": {}}, "auditEvents")

    assert len(ok) == 4 and all(e["clientId"] == "investigator" and e["outcome"] == "ok" for e in ok)
    assert len(refused) == 1
    assert [e["seq"] for e in everything] == sorted(e["seq"] for e in everything)
    assert "auditor" not in {e["clientId"] for e in everything}
    stored = await hub.app.state.audit.events(AuditFilter(), 1000)
    reads = [s.event for s in stored if s.event.client_id == "auditor"]
    assert reads, "the auditor's reads are audited"
    assert {e.outcome for e in reads} == {"audit-read"} and all(e.disclosed == () for e in reads)


async def test_only_audit_read_may_read_the_trail(hub: HubClient) -> None:
    body = await hub.query(EVENTS, {"f": {}})

    assert body["data"] is None or body["data"]["auditEvents"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
