"""Every demo client against every protected field: exactly the allowed fields come back, each denied field
is null with UNAUTHORIZED_FIELD_OR_TYPE at its path, and the partners are never asked for denied data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import HubClient, Partner

EVERYTHING = """
query Everything($id: ID!) {
  person(id: $id) {
    id
    names { familyName }
    warningMarkers { code category }
    intelligence { id grading handling content }
    custody { id custodyNumber }
    safeguarding { id kind }
  }
}"""

PERSON_FIELDS = ("warningMarkers", "intelligence", "custody", "safeguarding")

#: What each demo client may read, written out by hand from the sharing agreement (not from the code).
EXPECTED: dict[str, dict[str, Any]] = {
    "investigator": {
        "purpose": "investigation",
        "person": True,
        "fields": {"warningMarkers", "intelligence", "custody", "safeguarding"},
        "content": True,
    },
    "frontline": {
        "purpose": "officer-safety",
        "person": True,
        "fields": {"warningMarkers", "custody", "safeguarding"},
        "content": False,
    },
    "child-protection": {
        "purpose": "safeguarding",
        "person": True,
        "fields": {"safeguarding"},
        "content": False,
    },
    "auditor": {"purpose": "audit", "person": False, "fields": set(), "content": False},
    "developer": {"purpose": "investigation", "person": False, "fields": set(), "content": False},
}

#: The partner request kind behind each Person field.
KIND = {
    "warningMarkers": "markers",
    "intelligence": "intelligence",
    "custody": "custody",
    "safeguarding": "safeguarding",
}


def denied_paths(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        ".".join(str(p) for p in e["path"]): e
        for e in body.get("errors", [])
        if e["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    }


@pytest.mark.parametrize("client", sorted(EXPECTED))
async def test_each_client_sees_exactly_its_fields(
    hub: HubClient, kilbride_id: str, southmoor: Partner, eastvale: Partner, client: str
) -> None:
    expected = EXPECTED[client]
    southmoor.log.clear()
    eastvale.log.clear()

    body = await hub.query(EVERYTHING, {"id": kilbride_id}, client=client, purpose=expected["purpose"])

    denied = denied_paths(body)
    person = body["data"]["person"]
    if not expected["person"]:
        assert person is None
        assert set(denied) == {"person"}
        assert denied["person"]["extensions"]["missingScopes"] == [["person:read"]]
        assert southmoor.kinds() == [] and eastvale.kinds() == []
        return
    assert person["names"]
    for field in PERSON_FIELDS:
        if field in expected["fields"]:
            assert person[field] is not None, field
            assert f"person.{field}" not in denied
        else:
            assert person[field] is None, field
            assert f"person.{field}" in denied
    if expected["content"]:
        reports = person["intelligence"]
        assert not [path for path in denied if path.startswith("person.intelligence")]
        assert all(r["content"] for r in reports)
        assert any(r["handling"] == "SHARING_WITH_CONDITIONS" for r in reports)
    # The partners were asked for exactly the kinds the client may see, once each, and nothing else.
    allowed_kinds = {"people"} | {KIND[f] for f in expected["fields"]}
    for partner in (southmoor, eastvale):
        kinds = partner.kinds_asked()
        assert set(kinds) <= allowed_kinds, (partner.url, kinds)
        assert all(n == 1 for n in kinds.values())
    assert len(body.get("errors", [])) == len(denied)


async def test_intelligence_content_is_denied_field_by_field_without_intel_content(
    hub: HubClient, kilbride_id: str, police_client: Any
) -> None:
    client = await police_client(["person:read", "intel:read"])

    query = EVERYTHING.replace("warningMarkers { code category }", "")
    body = await hub.query(query, {"id": kilbride_id}, client=client)

    reports = body["data"]["person"]["intelligence"]
    assert reports, "graded summaries still come back"
    assert all(r["content"] is None for r in reports)
    assert all(r["handling"] == "LAWFUL_SHARING_PERMITTED" for r in reports), "C reports need intel:content"
    denied = denied_paths(body)
    assert {f"person.intelligence.{i}.content" for i in range(len(reports))} <= set(denied)
