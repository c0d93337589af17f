"""`hub connectors check PARTNER`: an integration team connects to one partner as the hub would and sees
what works, how fast, and what the partner cannot be asked. Reading the partner's records is recorded in the
audit trail before anything is printed; with no audit trail, nothing is printed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from connectors.conformance.faults import refused_url
from connectors.demo.embedded import partners_toml
from hub.cli import cli as hub
from tests.support import Partner

STEPS = ["configure", "open", "health", "search", "fetch", "close"]


@pytest.fixture
def partners(tmp_path: Path, demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> Path:
    path = tmp_path / "partners.toml"
    endpoints = {"southmoor": southmoor.url, "eastvale": eastvale.url}
    path.write_text(partners_toml(demo_urls, endpoints), encoding="utf-8")
    return path


def check(tmp_path: Path, partners: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    command = ["connectors", "check", *args, "--partners", str(partners), "--data-dir", str(tmp_path / "hub")]
    return CliRunner().invoke(hub, command, env={"HUB_DATABASE_URL": "", **(env or {})})


def checks_audited(tmp_path: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(tmp_path / "hub" / "hub.db") as db:
        db.row_factory = sqlite3.Row
        events = db.execute("SELECT * FROM audit_event WHERE outcome = 'partner-checked'").fetchall()
        return [
            {
                **dict(event),
                "disclosed": [
                    dict(row)
                    for row in db.execute("SELECT * FROM audit_disclosure WHERE seq = ?", (event["seq"],))
                ],
            }
            for event in events
        ]


@pytest.mark.parametrize("partner", ["northshire", "southmoor", "eastvale"])
def test_a_working_partner_is_checked_step_by_step_and_the_check_is_audited(
    tmp_path: Path, partners: Path, partner: str
) -> None:
    done = check(tmp_path, partners, partner, "--surname", "Kilbride", "--json")

    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["ok"] is True and report["partner"] == partner
    assert [s["name"] for s in report["steps"]] == STEPS
    assert all(s["outcome"] == "ok" for s in report["steps"]), report["steps"]
    assert all(s["ms"] is not None for s in report["steps"][1:])
    steps = {s["name"]: s for s in report["steps"]}
    assert steps["search"]["detail"] == "1 people named 'Kilbride'"
    assert steps["fetch"]["detail"].endswith("(one call)") and "1 people" in steps["fetch"]["detail"]
    assert report["capabilities"]["offered"] and "Kilbride" not in done.output.replace("'Kilbride'", "")
    [event] = checks_audited(tmp_path)
    assert event["subject"].startswith("os-user:") and event["purpose"] == "integration-check"
    assert event["disclosed"] and {d["kind"] for d in event["disclosed"]} == {"match"}
    assert {d["partner"] for d in event["disclosed"]} == {partner}


def test_without_a_surname_only_the_connection_is_checked(tmp_path: Path, partners: Path) -> None:
    done = check(tmp_path, partners, "southmoor")

    assert done.exit_code == 0, done.output
    assert "health     ok" in done.output and "give --surname" in done.output and done.output.endswith("OK\n")
    [event] = checks_audited(tmp_path)
    assert event["disclosed"] == []


def test_a_partner_that_is_down_fails_its_health_step_with_the_code_a_query_would_show(
    tmp_path: Path, demo_urls: dict[str, str], eastvale: Partner
) -> None:
    path = tmp_path / "partners.toml"
    path.write_text(partners_toml(demo_urls, {"southmoor": refused_url(), "eastvale": eastvale.url}), "utf-8")

    done = check(tmp_path, path, "southmoor", "--surname", "Kilbride", "--json")

    assert done.exit_code == 1
    steps = {s["name"]: s for s in json.loads(done.output)["steps"]}
    assert steps["health"]["outcome"] == "failed" and steps["health"]["code"] == "PARTNER_UNAVAILABLE"
    assert "search" not in steps and steps["close"]["outcome"] == "ok"
    [event] = checks_audited(tmp_path)
    assert json.loads(event["failed_partners"]) == ["southmoor"]


def test_an_unknown_partner_is_refused_naming_the_configured_ones(tmp_path: Path, partners: Path) -> None:
    done = check(tmp_path, partners, "westmarch")

    assert done.exit_code == 1
    assert "No partner 'westmarch'" in done.output and "eastvale, northshire, southmoor" in done.output


def test_nothing_is_read_out_when_the_audit_trail_cannot_be_written(tmp_path: Path, partners: Path) -> None:
    unreachable = "postgresql+asyncpg://hub@127.0.0.1:9/hub"  # nothing listens on port 9

    done = check(
        tmp_path, partners, "southmoor", "--surname", "Kilbride", env={"HUB_DATABASE_URL": unreachable}
    )

    assert done.exit_code == 1
    assert "cannot be used" in done.output
    assert "Partner southmoor" not in done.output and "people named" not in done.output
