"""Partner health for people and machines: the `partners` field (scope partners:status, no purpose needed,
its error text only with person:read too) and GET /readyz (no token), both showing each breaker's state."""

from __future__ import annotations

from typing import Any

from connectors.contract import PartnerConfig
from hub.federation.breaker import BreakerState
from tests.hub.federation.resilience.helpers import breaker, tuned, wait_for_state
from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner, open_hub

PARTNERS = """
query Partners {
  partners {
    name title kind capabilities timeoutSeconds maxConcurrentCalls
    breaker recentFailures lastFailureAt lastFailureOutcome nextTrialAt
  }
}"""
PARTNERS_WITH_ERRORS = "query { partners { name breaker lastError } }"
KILBRIDE = {"criteria": {"familyName": "Kilbride"}}


async def open_southmoors_breaker(hub: HubClient) -> None:
    await hub.query(SEARCH_IDS, KILBRIDE)
    assert breaker(hub, "southmoor").state is BreakerState.OPEN


def errors(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_partners_lists_every_partner_with_its_breaker(
    configs: list[PartnerConfig], southmoor: Partner, eastvale: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1, breaker_cooldown=60.0, retry_attempts=1)
    async for hub in open_hub(configs):
        body = await hub.query(PARTNERS, purpose=None, justification=None)
        assert "errors" not in body, "partner health is not personal data: no purpose is needed"
        partners = {p["name"]: p for p in body["data"]["partners"]}
        assert list(partners) == ["northshire", "southmoor", "eastvale"]
        assert partners["southmoor"]["kind"] == "rest"
        assert partners["northshire"]["capabilities"] == [
            "SEARCH",
            "PEOPLE",
            "MARKERS",
            "INTELLIGENCE",
            "CUSTODY",
            "SAFEGUARDING",
            "CHANGES",
        ]
        assert {p["breaker"] for p in partners.values()} == {"CLOSED"}
        assert partners["southmoor"]["recentFailures"] == 0 and partners["southmoor"]["lastFailureAt"] is None
        assert southmoor.kinds() == [] and eastvale.kinds() == [], "no partner was asked"

        southmoor.faults.update({"mode": "error"})
        await open_southmoors_breaker(hub)
        body = await hub.query(PARTNERS, purpose=None, justification=None)

        partners = {p["name"]: p for p in body["data"]["partners"]}
        assert partners["southmoor"]["breaker"] == "OPEN"
        assert partners["southmoor"]["recentFailures"] == 1
        assert partners["southmoor"]["lastFailureOutcome"] == "UNAVAILABLE"
        assert partners["southmoor"]["lastFailureAt"] and partners["southmoor"]["nextTrialAt"]
        assert partners["eastvale"]["breaker"] == "CLOSED"


async def test_partners_shows_half_open_after_the_cool_down(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1, breaker_cooldown=0.2, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        await hub.query(SEARCH_IDS, KILBRIDE)
        southmoors = breaker(hub, "southmoor")
        await wait_for_state(southmoors, BreakerState.HALF_OPEN)

        body = await hub.query(PARTNERS, purpose=None, justification=None)

        states = {p["name"]: p["breaker"] for p in body["data"]["partners"]}
        assert states["southmoor"] == "HALF_OPEN"


async def test_partners_needs_the_partners_status_scope(hub: HubClient) -> None:
    for client in ("frontline", "child-protection", "auditor"):
        body = await hub.query(PARTNERS, client=client, purpose=None, justification=None)
        assert body["data"]["partners"] is None
        assert errors(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
        assert body["errors"][0]["extensions"]["requiredScopes"] == [["partners:status"]]

    anonymous = await hub.post(PARTNERS, client=None, purpose=None, justification=None)
    assert anonymous.status_code == 401

    client = await hub.add_client("police-force", ["partners:status"])
    body = await hub.query(PARTNERS, client=client, purpose=None, justification=None)
    assert len(body["data"]["partners"]) == 3


async def test_the_partners_error_text_needs_person_read_and_a_purpose(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1, breaker_cooldown=60.0, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    async for hub in open_hub(configs):
        await open_southmoors_breaker(hub)

        developer = await hub.query(PARTNERS_WITH_ERRORS, client="developer")
        refused = await hub.query(PARTNERS_WITH_ERRORS, purpose=None, justification=None)
        investigator = await hub.query(PARTNERS_WITH_ERRORS)

    assert [p["lastError"] for p in developer["data"]["partners"]] == [None, None, None]
    assert set(errors(developer)) == {"UNAUTHORIZED_FIELD_OR_TYPE"}
    assert {p["breaker"] for p in developer["data"]["partners"]} == {"CLOSED", "OPEN"}
    assert errors(refused) == ["PURPOSE_REQUIRED"]
    errors_by_partner = {p["name"]: p["lastError"] for p in investigator["data"]["partners"]}
    assert "HTTP 5" in errors_by_partner["southmoor"]
    assert errors_by_partner["northshire"] is None


async def test_readyz_reports_every_breaker_without_a_token(
    configs: list[PartnerConfig], southmoor: Partner
) -> None:
    configs = tuned(configs, "southmoor", breaker_threshold=1, breaker_cooldown=60.0, retry_attempts=1)
    async for hub in open_hub(configs):
        ready = await hub.client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "ready",
            "database": "ok",
            "partners": [
                {"name": "northshire", "breaker": "closed"},
                {"name": "southmoor", "breaker": "closed"},
                {"name": "eastvale", "breaker": "closed"},
            ],
        }

        southmoor.faults.update({"mode": "error"})
        await open_southmoors_breaker(hub)
        ready = await hub.client.get("/readyz")

        assert ready.status_code == 200, "the other partners can still answer"
        assert {p["name"]: p["breaker"] for p in ready.json()["partners"]}["southmoor"] == "open"
        assert (await hub.client.get("/healthz")).status_code == 200


async def test_readyz_is_503_when_every_partners_breaker_is_open(
    configs: list[PartnerConfig], southmoor: Partner, eastvale: Partner
) -> None:
    http_only = [c for c in configs if c.name != "northshire"]
    for name in ("southmoor", "eastvale"):
        http_only = tuned(http_only, name, breaker_threshold=1, breaker_cooldown=60.0, retry_attempts=1)
    southmoor.faults.update({"mode": "error"})
    eastvale.faults.update({"mode": "error"})
    async for hub in open_hub(http_only):
        await hub.query(SEARCH_IDS, KILBRIDE)

        ready = await hub.client.get("/readyz")

        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert {p["breaker"] for p in ready.json()["partners"]} == {"open"}
        assert (await hub.client.get("/healthz")).status_code == 200, "alive, only not ready"


async def test_a_purpose_is_needed_for_personal_data_however_the_query_selects_it(hub: HubClient) -> None:
    # Purpose follows the fields that read personal data, wherever they are selected: `partners` made the
    # check per field rather than per root field, which a fragment spread on Query used to slip past.
    query = """
    query { __typename ...Lookup }
    fragment Lookup on Query { searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }
    """

    body = await hub.query(query, purpose=None, justification=None)

    assert errors(body) == ["PURPOSE_REQUIRED"]
    assert body.get("data") is None
