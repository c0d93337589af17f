"""`hub demo` and `hub serve` as a person runs them: real processes, real ports, clean shutdown; and the
`--fault` option's checks, which stop `hub demo` before it starts anything."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from connectors.demo.embedded import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    EXAMPLE_QUERY,
    DemoPartners,
    FaultPlan,
    graphiql_headers,
)
from hub.cli import cli
from tests.support import wait_until_healthy


def wait_for_line(process: subprocess.Popen[str], pattern: str, timeout: float = 120) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    seen = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r}; output was:\n{''.join(seen)}")


@pytest.mark.slow
def test_make_demo_serves_graphiql_and_answers_the_example_query_then_stops_cleanly(
    repo_root: Path, tmp_path: Path
) -> None:
    # The README's command, exactly: make demo (its virtualenv exists, since make test made it).
    data_dir = tmp_path / "hub-data"
    args = f"--port 0 --people 150 --data-dir {data_dir}"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "demo", f"ARGS={args}"],
        cwd=repo_root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = wait_for_line(process, r"GraphiQL at (http://\S+)/graphql").group(1)

        assert httpx.get(f"{url}/healthz").json()["status"] == "ok"
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        anonymous = httpx.post(f"{url}/graphql", json={"query": EXAMPLE_QUERY}, timeout=30)
        assert anonymous.status_code == 401
        # `hub token` in the same data directory issues a token the running demo accepts.
        token = subprocess.run(
            [sys.executable, "-m", "hub", "token", "--client", "investigator", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = json.loads(graphiql_headers(token))
        body = httpx.post(f"{url}/graphql", json={"query": EXAMPLE_QUERY}, headers=headers, timeout=30).json()
        assert "errors" not in body
        [person] = body["data"]["searchPersons"]["people"]
        assert len(person["sources"]) == 3
        assert (tmp_path / "hub-data" / "partners.toml").exists()
    finally:
        # Stop the hub as a service manager would (SIGTERM to the hub); make then exits with its status.
        hub_pids = subprocess.run(
            ["pgrep", "-s", str(process.pid), "-f", "bin/hub demo --port 0"], capture_output=True, text=True
        ).stdout.split()
        assert hub_pids, "the hub demo process should be running"
        for pid in hub_pids:
            os.kill(int(pid), signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Demo stopped." in output
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "hub-data")], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "demo partner processes outlived the demo"


@pytest.mark.slow
def test_hub_serve_runs_from_a_partners_file(tmp_path: Path) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text(
        '[[partners]]\nname = "northshire"\nkind = "sql"\n[partners.connection]\n'
        f'url = "sqlite+aiosqlite:///{tmp_path / "empty.db"}"\n'
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--partners", str(partners), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", time.monotonic() + 30, [process])
        body = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}).json()
        assert body["data"] == {"__typename": "Query"} and "errors" not in body
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


@pytest.mark.slow
def test_hub_serve_reports_a_bad_partners_file(tmp_path: Path) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text('[[partners]]\nname = "x"\nkind = "telepathy"\n')

    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--partners", str(partners)], capture_output=True, text=True
    )

    assert result.returncode == 1
    assert "telepathy" in result.stderr and "known kinds" in result.stderr


def _token(data_dir: Path) -> str:
    command = [sys.executable, "-m", "hub", "token", "--client", "investigator", "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.slow
def test_hub_demo_switches_faults_on_in_the_running_partners(tmp_path: Path) -> None:
    data_dir = tmp_path / "hub-data"
    faults = ["southmoor=error", "eastvale=latency:100-200", "northshire=refused"]
    process = _start_demo(data_dir, *(arg for fault in faults for arg in ("--fault", fault)))
    try:
        url = wait_for_line(process, r"GraphiQL at (http://\S+)/graphql").group(1)
        wait_for_line(process, r"^Faults switched on")
        wait_for_line(process, r"^  southmoor: error: answers HTTP 500")
        southmoor = wait_for_line(process, r"switch off: curl -X DELETE (http://\S+)/_demo/faults\)").group(1)
        wait_for_line(process, r"^  eastvale: latency:100-200: ")
        eastvale = wait_for_line(process, r"switch off: curl -X DELETE (http://\S+)/_demo/faults\)").group(1)
        wait_for_line(process, r"^  northshire: refused: .*\n?")
        wait_for_line(process, r"the hub looks for it at 127\.0\.0\.1:\d+")

        # The faults are on in the running partners, as their admin endpoints show.
        assert httpx.get(f"{southmoor}/_demo/faults").json()["mode"] == "error"
        assert httpx.get(f"{eastvale}/_demo/faults").json()["latency_jitter_ms"] == 100
        headers = json.loads(graphiql_headers(_token(data_dir)))

        def ask() -> dict[str, str]:
            body = httpx.post(f"{url}/graphql", json={"query": EXAMPLE_QUERY}, headers=headers, timeout=30)
            return {p["name"]: p["outcome"] for p in body.json()["data"]["searchPersons"]["partners"]}

        assert ask() == {"northshire": "UNAVAILABLE", "southmoor": "UNAVAILABLE", "eastvale": "OK"}
        # Switched off at run time, the partner answers again.
        assert httpx.delete(f"{southmoor}/_demo/faults").json()["mode"] is None
        assert ask() == {"northshire": "UNAVAILABLE", "southmoor": "OK", "eastvale": "OK"}
    finally:
        os.kill(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Demo stopped." in output
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "demo partner processes outlived the demo"


def _start_demo(data_dir: Path, *options: str) -> subprocess.Popen[str]:
    """`hub demo` on a free port with a small data set, as the leader of a session of its own."""
    command = [
        sys.executable,
        "-m",
        "hub",
        "demo",
        "--port",
        "0",
        "--people",
        "60",
        "--data-dir",
        str(data_dir),
    ]
    return subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _session_processes(session: int) -> list[str]:
    """The processes still running in a session (`hub demo` started as its leader, its partners in it)."""
    found = subprocess.run(["pgrep", "-a", "-s", str(session)], capture_output=True, text=True).stdout
    return found.splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGTERM to the demo", "Ctrl-C in its terminal"])
def test_hub_demo_exits_soon_after_it_stops_and_leaves_no_process(tmp_path: Path, stop: str) -> None:
    data_dir = tmp_path / "hub-data"
    process = _start_demo(data_dir)
    try:
        url = wait_for_line(process, r"GraphiQL at (http://\S+)/graphql").group(1)
        wait_for_line(process, r"Ctrl-C stops everything")
        partners = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True)
        assert len(partners.stdout.split()) == 2, "the demo should run its two partner servers"
        # A client that keeps its connection open, as a browser showing GraphiQL does.
        with httpx.Client(headers=json.loads(graphiql_headers(_token(data_dir))), timeout=30) as browser:
            body = browser.post(f"{url}/graphql", json={"query": EXAMPLE_QUERY}).json()
            assert "errors" not in body
            if stop == "SIGTERM to the demo":
                os.kill(process.pid, signal.SIGTERM)
            else:  # the terminal signals its whole foreground process group: the demo and its partners
                os.killpg(process.pid, signal.SIGINT)
            wait_for_line(process, r"^Demo stopped\.", timeout=60)
            # Generous: exiting takes well under a second; only a leftover thread or process takes longer.
            try:
                output, _ = process.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                pytest.fail("hub demo was still running 15 s after it said 'Demo stopped.'")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    assert _session_processes(process.pid) == [], "processes of the demo outlived it"


@pytest.mark.slow
def test_a_second_stop_signal_while_the_partners_stop_still_stops_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "hub-data"
    process = _start_demo(data_dir, "--fault", "eastvale=hang")
    try:
        url = wait_for_line(process, r"GraphiQL at (http://\S+)/graphql").group(1)
        eastvale = wait_for_line(process, r"switch off: curl -X DELETE (http://\S+)/_demo/faults\)").group(1)
        wait_for_line(process, r"Ctrl-C stops everything")

        def held() -> None:
            """A request that eastvale holds: stopped, it waits for it (up to its graceful timeout)."""
            with contextlib.suppress(httpx.HTTPError):  # it never gets an answer
                httpx.post(f"{eastvale}/graphql", json={"query": "{ __typename }"}, timeout=60)

        threading.Thread(target=held, daemon=True).start()
        os.kill(process.pid, signal.SIGTERM)  # the partners are stopped after the hub, long after the request
        deadline = time.monotonic() + 30
        while True:  # the hub has stopped listening: the demo is stopping its partners, eastvale waiting
            try:
                httpx.get(f"{url}/healthz", timeout=5)
            except httpx.TransportError:
                break
            assert time.monotonic() < deadline, "the hub did not stop"
            time.sleep(0.05)
        time.sleep(1)
        os.kill(process.pid, signal.SIGTERM)  # impatient: a second Ctrl-C, or a service manager's
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail("hub demo was still running 15 s after the second signal")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert _session_processes(process.pid) == [], "partner processes outlived the demo"


@pytest.mark.slow
def test_the_demo_partner_processes_reset_connections(demo_urls: dict[str, str]) -> None:
    # The partners as `hub demo` runs them: `hub demo partner` processes, served by uvicorn.run's defaults
    # (uvloop and httptools where installed), where `reset` once answered HTTP 500.
    partners = DemoPartners(demo_urls)
    try:
        endpoints = partners.start()
        partners.apply(FaultPlan.parse(["southmoor=reset", "eastvale=reset"]))
        southmoor, eastvale = endpoints["southmoor"], endpoints["eastvale"]
        token = httpx.post(
            f"{southmoor}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
        ).json()["access_token"]
        asks = {
            southmoor: lambda: httpx.get(
                f"{southmoor}/api/v2/nominals",
                params={"surname": "Kilbride"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            ),
            eastvale: lambda: httpx.post(f"{eastvale}/graphql", json={"query": "{ __typename }"}, timeout=30),
        }
        for endpoint, ask in asks.items():
            # No status line: httpx reads a reset, or (when the reset came while it still sent the body)
            # a connection closed without an answer.
            with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
                ask()
            deadline = time.monotonic() + 10  # the partner logs the request once the connection is gone
            while [e["fault"] for e in httpx.get(f"{endpoint}/_demo/requests").json()] != ["reset"]:
                assert time.monotonic() < deadline, f"{endpoint} did not log the reset request"
                time.sleep(0.02)
    finally:
        partners.stop()
    assert all(p.returncode is not None for p in partners.processes.values())


@pytest.mark.parametrize(
    ("faults", "says"),
    [
        (["southmoor"], "is not PARTNER=KIND"),
        (["=hang"], "is not PARTNER=KIND"),
        (["westmarch=hang"], "no demo partner 'westmarch'. Give PARTNER=KIND"),
        (["southmoor=explode"], "'explode' is not a fault kind"),
        (["northshire=hang"], "the only fault it takes is refused"),
        (["southmoor=latency"], "latency needs milliseconds"),
        (["southmoor=latency:soon"], "latency needs milliseconds"),
        (["eastvale=error:1.5"], "from 0 to 1"),
        (["eastvale=hang:often"], "fraction of requests"),
        (["eastvale=hang", "eastvale=reset"], "one latency and one mode"),
        (["eastvale=refused", "eastvale=latency:100"], "'refused' goes alone"),
    ],
)
def test_a_bad_fault_is_refused_before_anything_starts(tmp_path: Path, faults: list[str], says: str) -> None:
    data_dir = tmp_path / "never-made"
    args = ["demo", "--data-dir", str(data_dir)] + [arg for fault in faults for arg in ("--fault", fault)]

    result = CliRunner().invoke(cli, args)

    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())  # click wraps long messages
    assert "Invalid value for '--fault'" in message
    assert says in message
    if "Give PARTNER=KIND" in says or "not a fault kind" in says:
        assert "Partners: northshire (refused only), southmoor, eastvale" in message
        assert "wrong_shape[:RATE]" in message and "refused." in message
    assert not data_dir.exists()


def test_a_bad_partner_fault_is_refused_before_the_partner_starts() -> None:
    result = CliRunner().invoke(cli, ["demo", "partner", "rest", "--database", "x", "--fault", "refused"])

    assert result.exit_code == 2
    assert "nothing listens" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("faults", "switches", "refused"),
    [
        ([], {}, set()),
        (["eastvale=hang"], {"eastvale": {"mode": "hang"}}, set()),
        (
            ["southmoor=latency:2000", " southmoor = error:0.3 "],
            {"southmoor": {"latency_ms": 2000, "mode": "error", "rate": 0.3}},
            set(),
        ),
        (["northshire=refused", "eastvale=refused"], {}, {"northshire", "eastvale"}),
    ],
)
def test_fault_options_become_a_plan(
    faults: list[str], switches: dict[str, object], refused: set[str]
) -> None:
    plan = FaultPlan.parse(faults)

    assert plan.switches == switches
    assert plan.refused == refused


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
