"""`person(id:)` costs one call per partner, not a round for the person and another for their records: the
id names the person's source records, so their markers, intelligence, custody and safeguarding are asked
for in the same request as the people records, as the partners' own request logs show (a request asking
several kinds is logged with them joined by '+'). Only what the query selects and the caller may see is
asked for."""

from __future__ import annotations

import logging

import pytest

from tests.hub.queries import PERSON, SEARCH_IDS
from tests.support import HubClient, Partner

EVERYTHING = "people+markers+intelligence+custody+safeguarding"


async def kilbride(hub: HubClient) -> str:
    body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
    [darren] = body["data"]["searchPersons"]["people"]
    return str(darren["id"])


async def test_every_record_kind_is_asked_for_together_with_the_person(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    person_id = await kilbride(hub)
    for partner in (southmoor, eastvale):
        partner.log.clear()

    body = await hub.query(PERSON, {"id": person_id})

    assert "errors" not in body and body["data"]["person"]["custody"]
    for partner in (southmoor, eastvale):
        assert partner.kinds() == [EVERYTHING]


async def test_fifty_people_and_their_records_cost_one_round(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    found = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Smith"}, "first": 50})
    ids = [p["id"] for p in found["data"]["searchPersons"]["people"]]
    query = "{ " + " ".join(
        f'p{i}: person(id: "{pid}") {{ id custody {{ id }} }}' for i, pid in enumerate(ids)
    )
    southmoor.log.clear()

    body = await hub.query(query + " }")

    assert "errors" not in body and len(body["data"]) == len(ids)
    assert southmoor.kinds() == ["people+custody"]


async def test_a_kind_the_caller_may_not_see_is_never_asked_for(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    person_id = await kilbride(hub)
    for partner in (southmoor, eastvale):
        partner.log.clear()

    response = await hub.post(
        "query($id: ID!) { person(id: $id) { id intelligence { id } custody { id } safeguarding { id } } }",
        {"id": person_id},
        client="child-protection",
        purpose="safeguarding",
    )

    person = response.json()["data"]["person"]
    assert person["intelligence"] is None and person["custody"] is None and person["safeguarding"]
    for partner in (southmoor, eastvale):
        assert partner.kinds() == ["people+safeguarding"]


@pytest.mark.parametrize(
    ("selection", "flag"),
    [("custody @include(if: $flag) { id }", False), ("custody @skip(if: $flag) { id }", True)],
)
async def test_a_field_left_out_by_a_directive_is_not_asked_for(
    hub: HubClient, southmoor: Partner, eastvale: Partner, selection: str, flag: bool
) -> None:
    person_id = await kilbride(hub)
    for partner in (southmoor, eastvale):
        partner.log.clear()

    body = await hub.query(
        f"query($id: ID!, $flag: Boolean!) {{ person(id: $id) {{ id {selection} }} }}",
        {"id": person_id, "flag": flag},
    )

    assert "errors" not in body and "custody" not in body["data"]["person"]
    for partner in (southmoor, eastvale):
        assert partner.kinds() == ["people"]


@pytest.mark.parametrize(
    "query",
    [
        "query($id: ID!) { person(id: $id) { id ...Held } } fragment Held on Person { custody { id } }",
        "query($id: ID!) { person(id: $id) { id ... on Person { custody { id } } } }",
        "query($id: ID!) { person(id: $id) { id ...Outer } } fragment Outer on Person { ... { ...Held } } "
        "fragment Held on Person { custody { id } }",
    ],
    ids=["named", "inline", "nested"],
)
async def test_records_selected_through_a_fragment_are_asked_for_with_the_person(
    hub: HubClient, southmoor: Partner, query: str
) -> None:
    person_id = await kilbride(hub)
    southmoor.log.clear()

    body = await hub.query(query, {"id": person_id})

    assert "errors" not in body and body["data"]["person"]["custody"]
    assert southmoor.kinds() == ["people+custody"]


async def test_an_unknown_person_asked_for_with_records_is_not_found_and_nothing_is_left_over(
    hub: HubClient, caplog: pytest.LogCaptureFixture
) -> None:
    gone = hub.app.state.person_ids.encode([("southmoor", "NO-SUCH-RECORD")])

    body = await hub.query(PERSON, {"id": gone})

    assert [e["extensions"]["code"] for e in body["errors"]] == ["PERSON_NOT_FOUND"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
