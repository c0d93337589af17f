"""Every fault kind, on one partner, through the real hub: the other partners' records still come back, the
faulty partner is named with the right code and status, and nothing escapes as an internal error."""

from __future__ import annotations

import dataclasses
import json
import logging
import tomllib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from connectors.contract import PartnerConfig
from connectors.demo.embedded import FaultPlan, partners_toml
from connectors.demo.serve import RefusedPort
from hub.config.partners_file import parse_partners
from tests.hub.queries import PERSON, SEARCH
from tests.support import HubClient, Partner, open_hub

ALL = {"northshire", "southmoor", "eastvale"}
#: The faulty partner's timeout: short, so that hang and latency cost the tests little.
FAULTY_TIMEOUT = 1.0

#: Fault kind: (the partner's switches, the error code, the outcome in `extensions.partners`).
SERVER_FAULTS: dict[str, tuple[dict[str, Any], str, str]] = {
    "latency": ({"latency_ms": 10_000}, "PARTNER_TIMEOUT", "timeout"),
    "error": ({"mode": "error"}, "PARTNER_UNAVAILABLE", "unavailable"),
    "error_rate": ({"error_rate": 1.0}, "PARTNER_UNAVAILABLE", "unavailable"),
    "malformed": ({"mode": "malformed"}, "PARTNER_BAD_RESPONSE", "bad-response"),
    "wrong_shape": ({"mode": "wrong_shape"}, "PARTNER_BAD_RESPONSE", "bad-response"),
    "hang": ({"mode": "hang"}, "PARTNER_TIMEOUT", "timeout"),
    "reset": ({"mode": "reset"}, "PARTNER_UNAVAILABLE", "unavailable"),
}
HTTP_PARTNERS = ("southmoor", "eastvale")


def configs(
    demo_urls: dict[str, str], endpoints: dict[str, str], faulty: str, urls: dict[str, str] | None = None
) -> list[PartnerConfig]:
    """The demo's partners file for these partners, the faulty one given `FAULTY_TIMEOUT`."""
    parsed = parse_partners(tomllib.loads(partners_toml(urls or demo_urls, endpoints)))
    return [dataclasses.replace(c, timeout=FAULTY_TIMEOUT) if c.name == faulty else c for c in parsed]


@pytest.fixture
def servers(southmoor: Partner, eastvale: Partner) -> Iterator[dict[str, Partner]]:
    partners = {"southmoor": southmoor, "eastvale": eastvale}
    for partner in partners.values():
        partner.faults.clear()
    yield partners
    for partner in partners.values():
        partner.faults.clear()


async def hub_for(
    demo_urls: dict[str, str], servers: dict[str, Partner], faulty: str
) -> AsyncIterator[HubClient]:
    endpoints = {name: p.url for name, p in servers.items()}
    async for client in open_hub(configs(demo_urls, endpoints, faulty)):
        yield client


def assert_named(body: dict[str, Any], faulty: str, code: str, outcome: str) -> None:
    """`faulty` is named once, with `code`, in `errors` and `extensions.partners`; the others are ok."""
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    assert "INTERNAL_SERVER_ERROR" not in codes
    [error] = body["errors"]
    assert error["extensions"] == {"code": code, "partner": faulty}, error
    assert faulty in error["message"]
    assert "the connector failed" not in error["message"], "a connector defect, not a partner fault"
    statuses = {s["name"]: s for s in body["extensions"]["partners"]}
    assert statuses[faulty]["outcome"] == outcome
    assert statuses[faulty]["error"]
    assert {s["outcome"] for name, s in statuses.items() if name != faulty} == {"ok"}


def assert_no_defect_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def assert_search_partial(body: dict[str, Any], faulty: str, code: str, outcome: str) -> None:
    assert_named(body, faulty, code, outcome)
    result = body["data"]["searchPersons"]
    sources = {s["partner"] for p in result["people"] for s in p["sources"]}
    assert sources == ALL - {faulty}, "the other partners' people still come back"
    statuses = {s["name"]: s for s in result["partners"]}
    assert statuses[faulty]["outcome"] == outcome.upper().replace("-", "_")
    assert {s["outcome"] for name, s in statuses.items() if name != faulty} == {"OK"}


@pytest.mark.parametrize("faulty", HTTP_PARTNERS)
@pytest.mark.parametrize("kind", SERVER_FAULTS)
async def test_a_search_with_one_faulty_partner_answers_from_the_others(
    demo_urls: dict[str, str],
    servers: dict[str, Partner],
    caplog: pytest.LogCaptureFixture,
    faulty: str,
    kind: str,
) -> None:
    switches, code, outcome = SERVER_FAULTS[kind]
    async for hub in hub_for(demo_urls, servers, faulty):
        servers[faulty].faults.replace(switches)

        body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

        assert_search_partial(body, faulty, code, outcome)
    assert_no_defect_logged(caplog)


@pytest.mark.parametrize("faulty", HTTP_PARTNERS)
@pytest.mark.parametrize("kind", SERVER_FAULTS)
async def test_a_person_with_one_faulty_partner_keeps_the_others_records(
    demo_urls: dict[str, str],
    servers: dict[str, Partner],
    caplog: pytest.LogCaptureFixture,
    faulty: str,
    kind: str,
) -> None:
    switches, code, outcome = SERVER_FAULTS[kind]
    async for hub in hub_for(demo_urls, servers, faulty):
        found = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})
        [darren] = found["data"]["searchPersons"]["people"]
        servers[faulty].faults.replace(switches)

        body = await hub.query(PERSON, {"id": darren["id"]})

        assert_named(body, faulty, code, outcome)
        person = body["data"]["person"]
        assert person is not None
        for field in ("warningMarkers", "intelligence", "custody", "safeguarding"):
            assert faulty not in {record["partner"] for record in person[field]}
        assert {record["partner"] for record in person["custody"]} == ALL - {faulty}
    assert_no_defect_logged(caplog)


@pytest.mark.parametrize("faulty", ["northshire", *HTTP_PARTNERS])
async def test_a_refused_partner_is_unavailable_and_the_others_answer(
    demo_urls: dict[str, str],
    servers: dict[str, Partner],
    caplog: pytest.LogCaptureFixture,
    faulty: str,
) -> None:
    plan = FaultPlan.parse([f"{faulty}=refused"])
    endpoints = {name: p.url for name, p in servers.items()}
    with RefusedPort() as port:
        urls, endpoints = plan.locations(demo_urls, endpoints, port)
        async for hub in open_hub(configs(demo_urls, endpoints, faulty, urls)):
            body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

            assert_search_partial(body, faulty, "PARTNER_UNAVAILABLE", "unavailable")
            said = json.dumps(body)
            assert str(port.port) not in said and port.host not in said, "an address reached the caller"
    for name, partner in servers.items():
        assert (name != faulty) == ("search" in partner.kinds()), "no request reaches a refused partner"
    assert_no_defect_logged(caplog)


@pytest.mark.parametrize("faulty", HTTP_PARTNERS)
async def test_latency_within_the_timeout_and_a_zero_error_rate_cost_no_records(
    demo_urls: dict[str, str], servers: dict[str, Partner], faulty: str
) -> None:
    async for hub in hub_for(demo_urls, servers, faulty):
        servers[faulty].faults.replace({"latency_ms": 50, "latency_jitter_ms": 50, "error_rate": 0.0})

        body = await hub.query(SEARCH, {"criteria": {"familyName": "Kilbride"}})

        assert "errors" not in body
        [darren] = body["data"]["searchPersons"]["people"]
        assert {s["partner"] for s in darren["sources"]} == ALL
        assert servers[faulty].log.snapshot()[0]["fault"] is None
