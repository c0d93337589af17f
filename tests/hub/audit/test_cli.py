"""`hub audit verify`, `export` and `purge`, on the database a `hub demo` in the same directory uses."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from hub.audit.cli import audit
from hub.audit.store import AuditFilter, AuditStore, create_audit_schema
from hub.db import create_engine
from tests.hub.audit.conftest import make_event

Invoke = Callable[..., Result]
NOW = datetime.now(UTC)


@click.group()
def hub() -> None:
    """Stands in for the `hub` group the lead registers `audit` on."""


hub.add_command(audit)


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    for name in ("HUB_DATABASE_URL", "HUB_DATA_DIR", "HUB_AUDIT_RETENTION_DAYS"):
        monkeypatch.delenv(name, raising=False)

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(hub, ["audit", *args, "--data-dir", str(tmp_path)], input=input, env=env)

    return invoke


def trail(tmp_path: Path, ages_in_days: list[int]) -> None:
    """Events in the data directory's database, one per age."""

    async def fill() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
        await create_audit_schema(engine)
        store = AuditStore(engine)
        for n, age in enumerate(ages_in_days, 1):
            await store.append(make_event(n, occurred_at=NOW - timedelta(days=age)))
        await engine.dispose()

    asyncio.run(fill())


def count(tmp_path: Path) -> int:
    async def ask() -> int:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
        try:
            return await AuditStore(engine).count(AuditFilter())
        finally:
            await engine.dispose()

    return asyncio.run(ask())


def test_verify_says_ok_with_the_number_of_events(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [3, 2, 1])
    result = run("verify")
    assert (result.exit_code, result.stdout) == (0, "ok: 3 events\n")


def test_verify_an_empty_trail_is_ok(run: Invoke) -> None:
    assert run("verify").stdout == "ok: 0 events\n"


def test_verify_names_the_broken_event_and_exits_1(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [3, 2, 1])
    with sqlite3.connect(tmp_path / "hub.db") as db:
        db.execute("UPDATE audit_event SET purpose = 'safeguarding' WHERE seq = 2")
    result = run("verify")
    assert result.exit_code == 1
    assert "broken at event 2: event 2 was edited" in result.stderr


def test_export_writes_one_json_object_per_event(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [3, 2, 1])
    result = run("export")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["seq"] for r in rows] == [1, 2, 3]
    assert rows[0]["disclosed"][0] == {
        "partner": "northshire",
        "kind": "person",
        "record_id": "P1",
        "person_record_id": "P1",
    }
    assert {"hash", "prev_hash", "document_hash", "variables", "latency_ms"} <= set(rows[0])
    assert "Exported 3 events." in result.stderr


def test_export_a_window_as_csv_to_a_file(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [3, 2, 1])
    out = tmp_path / "trail.csv"
    since = (NOW - timedelta(days=2, hours=1)).isoformat()
    result = run(
        "export", "--since", since, "--until", NOW.isoformat(), "--format", "csv", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["seq"] for r in rows] == ["2", "3"]
    assert json.loads(rows[0]["scopes"]) == ["person:read", "person:search"]


def test_export_refuses_a_time_that_is_not_iso(run: Invoke) -> None:
    result = run("export", "--since", "last tuesday")
    assert result.exit_code == 2
    assert "is not an ISO 8601 time" in result.stderr


def test_purge_within_the_retention_period_is_refused(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [900, 1])
    result = run("purge", "--before", (NOW - timedelta(days=500)).date().isoformat(), "--yes")
    assert result.exit_code == 1
    assert "events are kept 2190 days" in result.stderr
    assert count(tmp_path) == 2


def test_purge_asks_first_and_stops_at_no(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [900, 1])
    env = {"HUB_AUDIT_RETENTION_DAYS": "365"}
    result = run("purge", "--before", (NOW - timedelta(days=500)).isoformat(), input="n\n", env=env)
    assert result.exit_code == 1
    assert "Delete 1 audit events" in result.output
    assert count(tmp_path) == 2


def test_purge_with_yes_deletes_and_the_chain_still_verifies(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [900, 800, 1])
    env = {"HUB_AUDIT_RETENTION_DAYS": "365"}
    result = run("purge", "--before", (NOW - timedelta(days=500)).isoformat(), "--yes", env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Purged 2 events from before")
    assert run("verify").stdout == "ok: 2 events\n"  # the one kept and the purge


def test_purge_refuses_a_broken_chain(run: Invoke, tmp_path: Path) -> None:
    trail(tmp_path, [900, 800, 1])
    with sqlite3.connect(tmp_path / "hub.db") as db:
        db.execute("DELETE FROM audit_event WHERE seq = 2")
    env = {"HUB_AUDIT_RETENTION_DAYS": "365"}
    result = run("purge", "--before", (NOW - timedelta(days=500)).isoformat(), "--yes", env=env)
    assert result.exit_code == 1
    assert "broken at event 2: event 2 is missing" in result.stderr
    assert count(tmp_path) == 2


def test_a_retention_below_a_year_is_an_invalid_setting(run: Invoke) -> None:
    result = run("verify", env={"HUB_AUDIT_RETENTION_DAYS": "30"})
    assert result.exit_code == 1
    assert "audit_retention_days" in result.stderr
