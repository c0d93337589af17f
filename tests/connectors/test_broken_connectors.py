"""The conformance suite means it: a connector wrong in one way fails it with a message that names the
problem, and a right one that offers only some kinds passes. Each runs the way a connector author would,
as the pytest plugin in a process of its own: `pytest --conformance-target MODULE:FUNCTION`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TARGETS = "tests.connectors.broken.targets"


def run_suite(repo_root: Path, target: str, *extra: str) -> subprocess.CompletedProcess[str]:
    """The suite on one target, as its author would run it."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            *extra,
            f"--conformance-target={TARGETS}:{target}",
        ],
        cwd=repo_root,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_connector_offering_only_some_kinds_passes_for_what_it_offers(repo_root: Path) -> None:
    done = run_suite(repo_root, "healthy", "-rs")

    assert done.returncode == 0, done.stdout[-3000:]
    assert "failed" not in done.stdout
    assert "memory does not offer custody" in done.stdout, (
        "the kinds it does not declare are skipped, saying so"
    )


@pytest.mark.parametrize(
    ("target", "failing", "messages"),
    [
        (
            "missing_ids_as_none",
            ["test_batch_answers_known_ids_only_with_canonical_records[people]"],
            ["leave unknown ids out of the mapping, never map them to None"],
        ),
        (
            "wrong_kind",
            ["test_batch_answers_known_ids_only_with_canonical_records[markers]"],
            ["is PersonRecord", "it must be a WarningMarker", "the wrong kind of record"],
        ),
        (
            "bad_codes",
            ["test_batch_answers_known_ids_only_with_canonical_records[markers]"],
            ["code is 'XX' (str); it must be a MarkerCode"],
        ),
        (
            "leaks_httpx",
            [
                "test_a_failing_partner_is_reported_as_its_error_class[down]",
                "test_a_failing_partner_is_reported_as_its_error_class[slow]",
                "test_a_failing_partner_is_reported_as_its_error_class[server-error]",
                "test_a_failing_partner_is_reported_as_its_error_class[auth-refused]",
            ],
            [
                "httpx.ConnectError escaped the connector",
                "translate it into PartnerUnavailable at the boundary",
                "httpx.ReadTimeout escaped the connector",
            ],
        ),
        (
            "ignores_cancellation",
            ["test_a_cancelled_call_stops_and_leaves_nothing_behind"],
            ["ignored its cancellation", "never shield it or swallow CancelledError"],
        ),
    ],
)
def test_a_broken_connector_fails_the_suite_naming_the_problem(
    repo_root: Path, target: str, failing: list[str], messages: list[str]
) -> None:
    done = run_suite(repo_root, target)

    assert done.returncode == 1, done.stdout[-3000:]
    for test in failing:
        assert f"FAILED connectors/conformance/_collected.py::TestConformance::{test}" in done.stdout, (
            done.stdout[-3000:]
        )
    for message in messages:
        assert message in done.stdout, (message, done.stdout[-3000:])
