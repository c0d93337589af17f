"""Making, listing and ending watches through /graphql: the scope watch:write, a stated purpose, the longest a
watch may run for the caller's kind of organisation, one client's watches never another's, and every change
in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hub.audit.tables import audit_event
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_demo_hub

WATCH = """mutation($id: ID!, $kinds: [WatchKind!], $until: DateTime) {
  watchPerson(personId: $id, kinds: $kinds, until: $until) { id personId kinds purpose expiresAt active }
}"""
CANCEL = "mutation($id: ID!) { cancelWatch(id: $id) { id active cancelledAt } }"
MINE = "query($all: Boolean!) { watches(includeEnded: $all) { id kinds active } }"


async def kilbride(hub: HubClient) -> str:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    [darren] = body["data"]["searchPersons"]["people"]
    return str(darren["id"])


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_an_investigator_watches_a_person_lists_the_watch_and_ends_it(hub: HubClient) -> None:
    person = await kilbride(hub)

    made = await hub.query(WATCH, {"id": person, "kinds": ["CUSTODY", "MARKERS"]})

    watch = made["data"]["watchPerson"]
    assert "errors" not in made
    assert watch["personId"] and watch["active"] is True and watch["purpose"] == "investigation"
    assert sorted(watch["kinds"]) == ["CUSTODY", "MARKERS"]
    expires = datetime.fromisoformat(watch["expiresAt"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)  # HUB_WATCH_DEFAULT_DAYS
    listed = await hub.query(MINE, {"all": False})
    assert listed["data"]["watches"] == [{"id": watch["id"], "kinds": watch["kinds"], "active": True}]

    ended = await hub.query(CANCEL, {"id": watch["id"]})

    assert ended["data"]["cancelWatch"]["active"] is False and ended["data"]["cancelWatch"]["cancelledAt"]
    assert (await hub.query(MINE, {"all": False}))["data"]["watches"] == []
    assert [w["id"] for w in (await hub.query(MINE, {"all": True}))["data"]["watches"]] == [watch["id"]]
    async with hub.app.state.audit.engine.connect() as conn:
        audited = (await conn.execute(select(audit_event.c.operation_name, audit_event.c.variables))).all()
    assert any("watchPerson" in (v or "") or "CUSTODY" in (v or "") for _, v in audited)
    assert sum(person in (v or "") for _, v in audited) >= 1, "the person watched is in the trail"


async def test_a_watch_runs_no_longer_than_the_callers_kind_of_organisation_may(hub: HubClient) -> None:
    person = await kilbride(hub)
    too_late = (datetime.now(UTC) + timedelta(days=31)).isoformat()

    body = await hub.query(
        WATCH, {"id": person, "until": too_late}, client="child-protection", purpose="safeguarding"
    )

    assert codes(body) == ["BAD_USER_INPUT"] and "30 days" in body["errors"][0]["message"]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert codes(await hub.query(WATCH, {"id": person, "until": past})) == ["BAD_USER_INPUT"]


async def test_a_caller_without_watch_write_cannot_watch_list_or_cancel(hub: HubClient) -> None:
    person = await kilbride(hub)

    for query, variables in ((WATCH, {"id": person}), (MINE, {"all": True}), (CANCEL, {"id": "x"})):
        body = await hub.query(query, variables, client="frontline")
        assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"], body
        assert next(iter(body["data"].values())) is None


async def test_an_organisation_whose_policy_caps_watching_is_refused_whatever_its_scopes(
    hub: HubClient,
) -> None:
    person = await kilbride(hub)
    sneaky = await hub.add_client("auditor", ["watch:write", "person:read"])

    body = await hub.query(WATCH, {"id": person}, client=sneaky, purpose="audit")

    assert "UNAUTHORIZED_FIELD_OR_TYPE" in codes(body) and body["data"]["watchPerson"] is None


async def test_a_watch_names_a_person_so_it_needs_a_stated_purpose(hub: HubClient) -> None:
    person = await kilbride(hub)

    body = await hub.query(WATCH, {"id": person}, purpose=None)

    assert codes(body) == ["PURPOSE_REQUIRED"]
    assert (await hub.query(MINE, {"all": True}))["data"]["watches"] == []


async def test_one_client_cannot_see_or_end_another_clients_watch(hub: HubClient) -> None:
    person = await kilbride(hub)
    mine = (await hub.query(WATCH, {"id": person}))["data"]["watchPerson"]

    theirs = await hub.query(MINE, {"all": True}, client="child-protection", purpose="safeguarding")
    cancelled = await hub.query(CANCEL, {"id": mine["id"]}, client="child-protection", purpose="safeguarding")

    assert theirs["data"]["watches"] == []
    assert codes(cancelled) == ["WATCH_NOT_FOUND"]
    assert (await hub.query(MINE, {"all": False}))["data"]["watches"][0]["active"] is True


async def test_a_watch_on_an_id_that_is_not_a_person_id_is_refused(hub: HubClient) -> None:
    body = await hub.query(WATCH, {"id": "not-a-person-id"})

    assert codes(body) == ["PERSON_ID_INVALID"]


async def test_a_kind_of_organisation_given_no_watch_length_may_not_watch(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> None:
    async for hub in open_demo_hub(demo_urls, southmoor, eastvale, watch_max_days={"police-force": 90}):
        person = await kilbride(hub)
        body = await hub.query(WATCH, {"id": person}, client="child-protection", purpose="safeguarding")

    assert codes(body) == ["WATCH_NOT_ALLOWED"] and "child-protection-agency" in body["errors"][0]["message"]
