"""`hub clients`, `hub token` and `hub keys`, on the database a `hub demo` in the same directory uses."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from connectors.demo.cli import demo
from hub.audit.events import AuditEvent
from hub.audit.queries import AuditFilter
from hub.audit.store import AuditStore
from hub.auth.cli import register
from hub.auth.principal import Principal
from hub.auth.services import AuthServices
from hub.auth.tokens import InvalidToken
from hub.config.settings import HubSettings
from hub.db import create_engine, migrate_database
from tests.hub.auth.conftest import claims_of, header_of

Invoke = Callable[..., Result]


@click.group()
def hub() -> None:
    """Stands in for the `hub` group the lead registers these commands on."""


register(hub)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    for name in ("HUB_DATABASE_URL", "HUB_DATA_DIR", "HUB_TRUSTED_ISSUERS_FILE"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(hub, [*args, "--data-dir", str(tmp_path)], env=env)

    return invoke


def validate(data_dir: Path, token: str) -> Principal:
    """What a hub running on this data directory makes of the token."""

    async def main() -> Principal:
        settings = HubSettings(data_dir=data_dir)
        engine = create_engine(settings.effective_database_url)
        try:
            await migrate_database(engine)  # the CLI made it already: this changes nothing
            services = AuthServices.from_settings(settings, engine)
            await services.open()
            return await services.validator.validate(token)
        finally:
            await engine.dispose()

    return asyncio.run(main())


def seed_demo(data_dir: Path, env: dict[str, str] | None = None) -> Result:
    """`hub demo clients`: the only command that makes the demo clients outside `hub demo` itself."""
    result = CliRunner().invoke(demo, ["clients", "--data-dir", str(data_dir)], env=env)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def seeded(tmp_path: Path, run: Invoke) -> Invoke:
    seed_demo(tmp_path)
    return run


def audit_events(data_dir: Path) -> list[AuditEvent]:
    async def main() -> list[AuditEvent]:
        engine = create_engine(HubSettings(data_dir=data_dir).effective_database_url)
        try:
            return [stored.event for stored in await AuditStore(engine).events(AuditFilter(), first=100)]
        finally:
            await engine.dispose()

    return asyncio.run(main())


def test_token_never_makes_a_client_not_even_a_demo_one(run: Invoke) -> None:
    result = run("token", "--client", "investigator")

    assert result.exit_code == 1 and result.stdout == ""
    assert "No client 'investigator'" in result.stderr
    assert run("clients", "list").stdout.startswith("No clients.")


def test_demo_clients_seeds_each_demo_client_once_and_prints_their_secrets(tmp_path: Path) -> None:
    first = seed_demo(tmp_path)
    assert [line.split()[0] for line in first.stdout.splitlines()] == [
        "investigator", "frontline", "child-protection", "auditor", "developer"
    ]  # fmt: skip
    assert "5 added" in first.stderr
    again = seed_demo(tmp_path)
    assert again.stdout == "" and "all there already" in again.stderr


def test_minting_a_token_is_audited_with_who_asked_and_the_token_id(seeded: Invoke, tmp_path: Path) -> None:
    token = seeded("token", "--client", "frontline", "--scope", "person:match").stdout.strip()

    minted = [e for e in audit_events(tmp_path) if e.outcome == "token-issued"]

    assert len(minted) == 1
    event = minted[0]
    assert event.client_id == "frontline" and event.scopes == ("person:match",)
    assert event.subject == f"os-user:{getpass.getuser()}" and event.operation_name == "hub token"
    assert event.variables["jti"] == claims_of(token)["jti"]
    assert token not in repr(event)  # the token itself is never written down


def test_token_for_an_existing_client_prints_only_a_jwt(seeded: Invoke, tmp_path: Path) -> None:
    run = seeded
    result = run("token", "--client", "investigator")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert token.count(".") == 2
    claims = claims_of(token)
    assert claims["client_id"] == claims["sub"] == "investigator"
    assert claims["iss"] == "urn:police-hub" and claims["aud"] == "urn:police-hub:graphql"
    assert claims["org"] == "Northshire Police" and claims["org_type"] == "police-force"
    assert "intel:content" in claims["scope"].split() and "markers:health" not in claims["scope"].split()
    assert claims["exp"] - claims["iat"] == 900
    assert header_of(token)["typ"] == "at+jwt"
    principal = validate(tmp_path, token)
    assert principal.client_id == "investigator"
    assert (tmp_path / "hub.db").exists()


def test_token_can_ask_for_fewer_scopes(seeded: Invoke) -> None:
    run = seeded
    result = run("token", "--client", "frontline", "--scope", "person:match")
    assert result.exit_code == 0, result.output
    assert claims_of(result.stdout.strip())["scope"] == "person:match"
    result = run("token", "--client", "frontline", "--scope", "audit:read")
    assert result.exit_code == 1 and result.stdout == ""


def test_token_for_an_unknown_client_fails_on_stderr(run: Invoke) -> None:
    result = run("token", "--client", "nobody")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "No client 'nobody'" in result.stderr


def test_add_list_revoke(run: Invoke, tmp_path: Path) -> None:
    added = run(
        "clients", "add", "mash",
        "--org", "Eastvale Council MASH",
        "--org-type", "child-protection-agency",
        "--scope", "person:match", "--scope", "safeguarding:read",
        "--purpose", "safeguarding",
        "--description", "MASH team",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    secret = added.stdout.strip()
    assert len(secret) >= 40 and "\n" not in secret
    assert "shown this once only" in added.stderr

    listed = run("clients", "list")
    header, row = listed.stdout.splitlines()
    assert header.split() == ["CLIENT", "ORGANISATION", "TYPE", "SCOPES", "PURPOSES", "LIMITS", "REVOKED"]
    assert row.startswith("mash") and "person:match,safeguarding:read" in row and row.endswith("-")

    token = run("token", "--client", "mash").stdout.strip()
    assert validate(tmp_path, token).purposes == frozenset({"safeguarding"})

    revoked = run("clients", "revoke", "mash")
    assert revoked.exit_code == 0
    row = run("clients", "list").stdout.splitlines()[1]
    assert not row.endswith("-")
    again = run("token", "--client", "mash")
    assert again.exit_code == 1 and "revoked" in again.stderr and again.stdout == ""
    with pytest.raises(InvalidToken, match="revoked"):
        validate(tmp_path, token)


def test_add_refuses_duplicates_and_unknown_scopes(run: Invoke) -> None:
    args = ("clients", "add", "dup", "--org", "Org", "--org-type", "police-force", "--scope", "person:read")
    assert run(*args).exit_code == 0
    duplicate = run(*args)
    assert duplicate.exit_code == 1 and "exists already" in duplicate.stderr
    unknown = run("clients", "add", "x", "--org", "O", "--org-type", "police-force", "--scope", "all")
    assert unknown.exit_code == 2 and "'all' is not one of" in unknown.stderr


def test_revoking_an_unknown_client_fails(run: Invoke) -> None:
    result = run("clients", "revoke", "ghost")
    assert result.exit_code == 1 and "No client 'ghost'" in result.stderr


def test_keys_rotate_and_list(seeded: Invoke, tmp_path: Path) -> None:
    run = seeded
    before = run("token", "--client", "developer").stdout.strip()
    rotated = run("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    kid = rotated.stdout.strip()
    after = run("token", "--client", "developer").stdout.strip()
    assert header_of(after)["kid"] == kid != header_of(before)["kid"]
    assert validate(tmp_path, before).client_id == validate(tmp_path, after).client_id == "developer"

    listed = run("keys", "list").stdout.splitlines()
    assert listed[0].split() == ["KID", "ALG", "CREATED", "RETIRED", "STATE"]
    assert listed[1].startswith(kid) and listed[1].endswith("signing")
    assert "validating until" in listed[2]


def test_hub_database_url_wins_over_the_data_directory(run: Invoke, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "shared.db"
    seed_demo(tmp_path, env={"HUB_DATABASE_URL": f"sqlite:///{elsewhere}"})
    result = run("token", "--client", "auditor", env={"HUB_DATABASE_URL": f"sqlite:///{elsewhere}"})
    assert result.exit_code == 0, result.output
    assert elsewhere.exists() and not (tmp_path / "hub.db").exists()


def test_keys_rotate_person_ids_makes_a_new_person_id_key_and_leaves_token_signing_alone(
    seeded: Invoke, tmp_path: Path
) -> None:
    run = seeded
    before = run("token", "--client", "developer").stdout.strip()

    rotated = run("keys", "rotate", "--person-ids")

    assert rotated.exit_code == 0, rotated.output
    assert "person-id key" in rotated.stderr and len(rotated.stdout.strip()) == 8
    after = run("token", "--client", "developer").stdout.strip()
    assert header_of(after)["kid"] == header_of(before)["kid"]


def test_clients_carry_their_own_limits_and_set_changes_only_those_given(run: Invoke) -> None:
    added = run(
        "clients", "add", "mash", "--org", "Eastvale Council MASH", "--org-type", "child-protection-agency",
        "--scope", "person:match", "--rate-limit", "5/second;1000/day", "--max-cost", "2000",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    row = run("clients", "list").stdout.splitlines()[1]
    assert "rate=5/second;1000/day,cost=2000" in row

    changed = run("clients", "set", "mash", "--trusted-documents-only", "--rate-limit", "default")
    assert changed.exit_code == 0, changed.output
    assert "cost=2000,trusted-documents-only" in changed.stderr
    row = run("clients", "list").stdout.splitlines()[1]
    assert "rate=" not in row and "cost=2000,trusted-documents-only" in row


def test_bad_limits_are_refused_with_what_is_wrong(run: Invoke) -> None:
    args = ("clients", "add", "x", "--org", "O", "--org-type", "police-force", "--scope", "person:read")
    bad_rate = run(*args, "--rate-limit", "lots")
    assert bad_rate.exit_code == 1 and "'20/second;1000/hour'" in bad_rate.stderr
    bad_cost = run(*args, "--max-cost", "0")
    assert bad_cost.exit_code == 2
    assert run("clients", "set", "ghost", "--max-cost", "5").exit_code == 1
    assert run("clients", "set", "x", "--max-cost", "many").exit_code == 2


def test_documents_add_list_remove_are_validated_and_audited(
    seeded: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = seeded
    monkeypatch.delenv("HUB_PARTNERS_FILE", raising=False)
    good = tmp_path / "search.graphql"
    good.write_text('query Kilbride { searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }')
    bad = tmp_path / "bad.graphql"
    bad.write_text("{ searchPersons { nobody } }")

    added = run("documents", "add", "--client", "frontline", str(good))
    assert added.exit_code == 0, added.output
    document_id = added.stdout.strip()
    assert document_id == "sha256:" + hashlib.sha256(good.read_bytes()).hexdigest()
    assert "Kilbride" in added.stderr and "estimated when it runs" in added.stderr

    refused = run("documents", "add", "--client", "frontline", str(bad))
    assert refused.exit_code == 1 and "does not validate" in refused.stderr
    nobody = run("documents", "add", "--client", "nobody", str(good))
    assert nobody.exit_code == 1 and "No client 'nobody'" in nobody.stderr

    listed = run("documents", "list", "--client", "frontline")
    assert document_id in listed.stdout and "search.graphql" in listed.stdout
    as_json = json.loads(run("documents", "list", "--json").stdout)
    assert [d["documentId"] for d in as_json] == [document_id]

    assert run("documents", "remove", "--client", "frontline", document_id).exit_code == 0
    again = run("documents", "remove", "--client", "frontline", document_id)
    assert again.exit_code == 1 and "has no document" in again.stderr
    assert run("documents", "list").stdout.startswith("No documents registered")

    events = [e for e in audit_events(tmp_path) if e.outcome.startswith("document-")]
    assert [(e.outcome, e.client_id, e.variables["document_id"]) for e in events] == [
        ("document-added", "frontline", document_id),
        ("document-removed", "frontline", document_id),
    ]
    assert events[0].document == good.read_text()
