"""`hub webhooks`: an operator points a client's webhook at its system (the secret shown once), lists the
dead letters and replays one; every change is in the audit trail; bad input is refused clearly."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from hub.cli import cli as hub
from tests.support import template_hub_database


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    shutil.copyfile(template_hub_database(), tmp_path / "hub.db")
    return tmp_path


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(
        hub, ["webhooks", *args, "--data-dir", str(data_dir)], env={"HUB_DATABASE_URL": ""}
    )


def test_setting_a_webhook_prints_its_secret_once_and_is_audited(data_dir: Path) -> None:
    done = run(data_dir, "set", "child-protection", "--url", "https://mash.example/hub-events")

    assert done.exit_code == 0, done.output
    assert "whsec_" in done.output
    with sqlite3.connect(data_dir / "hub.db") as db:
        [(url, secret)] = db.execute("SELECT url, secret FROM webhook_endpoint").fetchall()
        [(variables,)] = db.execute(
            "SELECT variables FROM audit_event WHERE operation_name = 'hub webhooks set'"
        ).fetchall()
    assert url == "https://mash.example/hub-events" and secret in done.output
    assert json.loads(variables) == {"url": url}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "nobody", "--url", "https://x.example/h"), "No client 'nobody'"),
        (("set", "investigator", "--url", "http://x.example/h"), "must be https://"),
        (("replay", "no-such-delivery"), "No dead-lettered delivery"),
    ],
)
def test_bad_input_is_refused_saying_why(data_dir: Path, args: tuple[str, ...], message: str) -> None:
    done = run(data_dir, *args)

    assert done.exit_code == 1 and message in done.output


def test_no_dead_letters_says_so(data_dir: Path) -> None:
    done = run(data_dir, "dead-letters", "--json")

    assert done.exit_code == 0 and json.loads(done.output) == []
