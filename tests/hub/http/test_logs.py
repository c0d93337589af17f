"""The hub's logs: one access line per request with what operators need (request id, client, organisation,
operation, outcome, latency, partner outcomes), formatted as JSON; and, at any level, nothing of the people
looked up: a run of the README's queries and a fault scenario leaves none of the showcase people's names,
dates of birth or PNC IDs in any log line."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pythonjsonlogger.json import JsonFormatter

from connectors.demo.embedded import EXAMPLE_QUERY
from hub.http.logs import log_config
from tests.support import HubClient, Partner

PERSON = """query One($id: ID!) { person(id: $id) { id names { familyName givenName } dateOfBirth pncId
  warningMarkers { code description } intelligence { summary } custody { custodyNumber station }
  safeguarding { kind summary } } }"""
MATCH = '{ personMatch(criteria: {familyName: "Kilbride"}) { hit matches { partner hit contactPoint } } }'


def personal_values(body: dict[str, Any]) -> set[str]:
    """Names, dates of birth and PNC IDs of the people in an answer."""
    found: set[str] = set()
    for person in body["data"]["searchPersons"]["people"]:
        found |= {n["familyName"] for n in person["names"]} | {n["givenName"] for n in person["names"]}
        found |= {v for v in (person["dateOfBirth"], person["pncId"]) if v}
    return {v for v in found if v and len(v) > 2}


async def test_logs_hold_nothing_of_the_people_looked_up_at_any_level(
    hub: HubClient, southmoor: Partner, eastvale: Partner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    example = await hub.query(EXAMPLE_QUERY)
    people = personal_values(example)
    assert "Kilbride" in people and len(people) >= 4
    person_id = example["data"]["searchPersons"]["people"][0]["id"]
    await hub.query(PERSON, {"id": person_id})
    await hub.query(MATCH, client="frontline", purpose="investigation")
    southmoor.faults.update({"mode": "error"})
    eastvale.faults.update({"mode": "malformed"})
    await hub.query(EXAMPLE_QUERY)
    await hub.query(PERSON, {"id": person_id})
    await hub.post(
        '{ searchPersons(criteria: {familyName: "Kilbride", dateOfBirth: "not a date"}) { people { id } } }'
    )

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    written = "\n".join(
        formatter.format(r) + " " + json.dumps(r.__dict__, default=str) for r in caplog.records
    )
    assert caplog.records, "the run logged something"
    leaked = sorted(v for v in people if v in written)
    assert leaked == [], leaked


async def test_one_access_line_per_request_says_what_operators_need(
    hub: HubClient, southmoor: Partner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hub.access")
    southmoor.faults.update({"mode": "error"})
    response = await hub.post(
        'query Look { searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }'
    )

    [line] = [r for r in caplog.records if r.name == "hub.access"]
    fields = line.__dict__
    assert fields["request_id"] == response.headers["x-request-id"]
    # An ad-hoc operation's name is the caller's choice and may name a person: only registered ones show.
    assert (fields["client"], fields["organisation_type"], fields["operation"]) == (
        "investigator", "police-force", "ad-hoc",
    )  # fmt: skip
    assert fields["outcome"] == "partial" and fields["status"] == 200 and fields["latency_ms"] > 0
    partners = {p["name"]: p["outcome"] for p in fields["partners"]}
    assert partners["southmoor"] == "unavailable" and partners["eastvale"] == "ok"
    # As `hub serve` writes it: one JSON object.
    formatter = JsonFormatter(
        **{k: v for k, v in log_config("json")["formatters"]["default"].items() if k != "()"}
    )
    written = json.loads(formatter.format(line))
    assert written["logger"] == "hub.access" and written["request_id"] == fields["request_id"]
    assert written["partners"][0].keys() == {"name", "outcome", "calls", "latency_ms"}
