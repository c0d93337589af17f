"""The federation benchmark end to end, tiny: every scenario runs against real processes and the JSON holds
every figure. Nothing about time is asserted; the figures are for people to read."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench._report import Figures

pytestmark = pytest.mark.slow


def test_every_scenario_runs_and_writes_every_figure(repo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "bench.federation", "--people", "40", "--requests", "6"]
    command += ["--concurrency", "2", "--duration", "1", "--throughput-connections", "2"]
    command += ["--slow", "eastvale=400", "--slow-timeout", "0.2", "--down", "southmoor=refused"]
    command += ["--scale-people", "30", "--scale-data-dir", str(tmp_path / "scale")]
    command += ["--data-dir", str(tmp_path / "bench"), "--json", str(out)]
    for name in ("person", "search", "fifty", "throughput", "slow-partner", "partner-down"):
        command += ["--scenario", name]

    done = subprocess.run(command, cwd=repo_root, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(out.read_text())
    figures = {f["scenario"]: f for f in document["scenarios"]}
    assert list(figures) == [
        "person",
        "search",
        "fifty",
        "throughput",
        "slow-partner",
        "partner-down",
        "scale-search",
        "scale-person",
    ]
    fields = {f.name for f in dataclasses.fields(Figures)}
    for name, f in figures.items():
        assert set(f) == fields, name
        assert f["requests"] > 0 and f["failed"] == 0, (name, f)
        assert f["p50_ms"] is not None and f["hub_peak_rss_mb"] > 0, name
    assert figures["slow-partner"]["graphql_errors"].get("PARTNER_TIMEOUT", 0) > 0
    assert figures["slow-partner"]["partner_outcomes"]["eastvale"].get("timeout", 0) > 0
    down_codes = set(figures["partner-down"]["graphql_errors"])
    assert down_codes and down_codes <= {"PARTNER_UNAVAILABLE", "PARTNER_CIRCUIT_OPEN"}
    assert figures["partner-down"]["partial"] == figures["partner-down"]["requests"]
    assert figures["person"]["audit_p50_ms"] is not None
    assert figures["person"]["requests_per_hub_cpu_second"] > 0
    assert {
        name: figures[name]["hub_cpu_target_ms"] for name in ("person", "search", "fifty", "throughput")
    } == {
        "person": 2.5,
        "search": 4.0,
        "fifty": 15.0,
        "throughput": 2.5,
    }
    assert figures["throughput"]["load_generator"] in ("wrk", "httpx")
    assert {"machine", "options", "notes"} <= set(document["meta"])
    assert "p50" in done.stdout and "scale 30: search" in done.stdout


def test_the_audit_baseline_runs_each_scenario_again_without_the_recorder(
    repo_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "figures.json"
    command = [sys.executable, "-m", "bench.federation", "--people", "40", "--requests", "6"]
    command += ["--concurrency", "2", "--scenario", "person", "--scenario", "search", "--audit-baseline"]
    command += ["--data-dir", str(tmp_path / "bench"), "--json", str(out)]

    done = subprocess.run(command, cwd=repo_root, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(out.read_text())
    runs = [(f["scenario"], f["audited"]) for f in document["scenarios"]]
    assert runs == [("person", True), ("search", True), ("person", False), ("search", False)]
    for f in document["scenarios"]:
        assert f["failed"] == 0, f
        # The baseline hub writes no audit event, so no response of it says what auditing cost.
        assert (f["audit_p50_ms"] is not None) == f["audited"], f
    rows = {row["scenario"]: row for row in document["audit_comparison"]}
    assert set(rows) == {"person", "search"}
    for row in rows.values():
        assert row["p50_added_ms"] == round(row["p50_ms"] - row["p50_ms_unaudited"], 2)
    assert "auditing on vs off" in done.stdout
