"""`hub explain`: a data-protection officer's view of what a client would get, without calling anyone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.access.explain import explain
from hub.access.policy import SharingPolicy
from hub.auth.principal import OrganisationType, Principal
from hub.cli import cli
from hub.schema import create_schema

QUERY = """query { searchPersons(criteria: {familyName: "Kilbride"}) { people {
  id warningMarkers { code } intelligence { summary content } custody { id } safeguarding { kind } } } }"""


def decisions_for(principal: Principal) -> dict[str, tuple[bool, str]]:
    found = explain(create_schema()._schema, QUERY, principal, SharingPolicy())
    return {d.path: (d.allowed, d.reason) for d in found}


@pytest.fixture(autouse=True)
def demo_clients(tmp_path: Path) -> None:
    """The demo clients in the hub's database, as `hub demo` makes them (`hub explain` never does)."""
    seeded = CliRunner().invoke(cli, ["demo", "clients", "--data-dir", str(tmp_path / "hub")])
    assert seeded.exit_code == 0, seeded.output


def test_investigator_is_allowed_everything_but_the_reasons_name_the_record_rules() -> None:
    scopes = frozenset(
        {"person:read", "markers:read", "intel:read", "intel:content", "custody:read", "safeguarding:read"}
    )
    decisions = decisions_for(
        Principal("inv", organisation_type=OrganisationType.POLICE_FORCE, scopes=scopes)
    )

    assert all(allowed for allowed, _ in decisions.values())
    assert "handling code C" in decisions["searchPersons.people.intelligence"][1]
    assert "markers:health" in decisions["searchPersons.people.warningMarkers"][1]


def test_misconfigured_child_protection_client_is_denied_and_told_the_policy_is_why() -> None:
    everything = frozenset({"person:read", "intel:read", "custody:read", "safeguarding:read"})
    principal = Principal(
        "mash", organisation_type=OrganisationType.CHILD_PROTECTION_AGENCY, scopes=everything
    )

    decisions = decisions_for(principal)

    allowed, reason = decisions["searchPersons.people.intelligence"]
    assert not allowed and "sharing policy for child-protection-agency" in reason
    assert decisions["searchPersons.people.intelligence.content"] == (
        False,
        "not reached: a field above it is denied",
    )
    assert decisions["searchPersons.people.safeguarding"][0]
    assert not decisions["searchPersons.people.custody"][0]


def test_hub_explain_prints_allow_and_deny_for_a_demo_client(tmp_path: Path) -> None:
    query_file = tmp_path / "query.graphql"
    query_file.write_text(QUERY)

    result = CliRunner().invoke(
        cli, ["explain", "--client", "frontline", str(query_file), "--data-dir", str(tmp_path / "hub")]
    )

    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line.split()[0] for line in result.output.splitlines()[1:]}
    assert lines["searchPersons.people.custody"] == "ALLOW"
    assert lines["searchPersons.people.intelligence"] == "DENY"
    assert lines["searchPersons.people.safeguarding"] == "ALLOW"


def test_hub_explain_reports_unknown_clients_and_bad_queries(tmp_path: Path) -> None:
    query_file = tmp_path / "query.graphql"
    query_file.write_text("{ searchPersons(")
    data_dir = ["--data-dir", str(tmp_path / "hub")]

    unknown = CliRunner().invoke(cli, ["explain", "--client", "nobody", str(query_file), *data_dir])
    bad = CliRunner().invoke(cli, ["explain", "--client", "investigator", str(query_file), *data_dir])

    assert unknown.exit_code == 1 and "No client 'nobody'" in unknown.output
    assert bad.exit_code == 1 and "is not GraphQL" in bad.output


def _explain(tmp_path: Path, *args: str, query: str = QUERY) -> Any:
    query_file = tmp_path / "query.graphql"
    query_file.write_text(query)
    return CliRunner().invoke(cli, ["explain", *args, str(query_file), "--data-dir", str(tmp_path / "hub")])


def test_hub_explain_refuses_a_document_that_does_not_validate(tmp_path: Path) -> None:
    result = _explain(tmp_path, "--client", "frontline", query="{ searchPersons { nope } }")

    assert result.exit_code == 1 and "does not validate" in result.output and "nope" in result.output


def test_hub_explain_checks_the_stated_purpose(tmp_path: Path) -> None:
    allowed = _explain(tmp_path, "--client", "frontline", "--purpose", "officer-safety")
    refused = _explain(tmp_path, "--client", "frontline", "--purpose", "intelligence-development")
    unknown = _explain(tmp_path, "--client", "frontline", "--purpose", "curiosity")

    assert allowed.exit_code == 0 and "REFUSED" not in allowed.output
    assert refused.exit_code == 1 and "REFUSED whole (PURPOSE_NOT_ALLOWED)" in refused.output
    assert unknown.exit_code == 1 and "not a known purpose" in unknown.output


def test_hub_explain_speaks_json(tmp_path: Path) -> None:
    result = _explain(tmp_path, "--client", "child-protection", "--purpose", "safeguarding", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    fields = {f["path"]: f["allowed"] for f in report["fields"]}
    assert report["client"] == "child-protection" and report["needsPurpose"] and report["refused"] is None
    assert fields["searchPersons.people.safeguarding"] and not fields["searchPersons.people.intelligence"]
