"""The processes a benchmark measures: the demo partners, and hubs in front of them.

The REST and GraphQL demo partners start once per run (`Partners`) and take their faults over HTTP before
each scenario; the SQL partner is a SQLite file the hub reads itself. A hub (`Hub`) starts per
`HubSetup`: the partners file is read when a hub starts, and a fresh hub also has fresh circuit breakers, so
scenarios that need a different file (a shorter timeout, a refused partner) get a hub of their own.

    partners = Partners(urls, {"southmoor": 40, "eastvale": 60}); partners.start()
    partners.set_faults({"southmoor": 40, "eastvale": 2000}, {"southmoor": {"mode": "error"}})
    write_partners_file(path, *partners.addresses(setup.refused), setup)
    hub = Hub(path, data_dir, workers).start(); hub.token(); hub.peak_rss_mb(); hub.stop()
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.demo.embedded import DemoPartners, FaultPlan, free_port, partners_toml

__all__ = [
    "HTTP_PARTNERS",
    "PARTNER_NAMES",
    "Hub",
    "HubSetup",
    "Partners",
    "cpu_seconds",
    "write_partners_file",
]

PARTNER_NAMES = ("northshire", "southmoor", "eastvale")
#: The partners that run a server of their own, and so take faults such as added latency.
HTTP_PARTNERS = ("southmoor", "eastvale")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class HubSetup:
    """What a hub is started with. Scenarios with equal setups share one hub process.

    Attributes:
        partners: The partners in its partners file.
        keys: Per partner, partners-file keys to set (`timeout`, `breaker_threshold`, ...).
        refused: Partners it is to find nothing listening for (pointed at a port that refuses connections).
        timeout: Every partner's `timeout` unless `keys` says otherwise, in seconds.
    """

    partners: tuple[str, ...] = PARTNER_NAMES
    keys: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = ()
    refused: frozenset[str] = frozenset()
    timeout: float = 5.0

    def timeout_of(self, partner: str) -> float:
        return float(dict(dict(self.keys).get(partner, ())).get("timeout", self.timeout))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_partners_file(
    path: Path, urls: Mapping[str, str], endpoints: Mapping[str, str], setup: HubSetup
) -> None:
    """Write the demo's partners file (`connectors.demo.embedded.partners_toml`), narrowed and changed as
    `setup` says."""
    # The demo's file names every partner; those left out of `setup` get a placeholder, then are dropped.
    unused = dict.fromkeys(PARTNER_NAMES, "http://unused.invalid")
    text = partners_toml({**unused, **urls}, {**unused, **endpoints}, setup.timeout)
    entries = tomllib.loads(text)["partners"]
    keys = {name: dict(pairs) for name, pairs in setup.keys}
    lines = ["# Written by bench/_stack.py for one benchmark hub: the demo's partners file, adjusted."]
    for entry in entries:
        if entry["name"] not in setup.partners:
            continue
        entry.update(keys.get(entry["name"], {}))
        connection = entry.pop("connection", {})
        mapping = entry.pop("mapping", {})
        lines += ["", "[[partners]]"] + [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
        lines += ["[partners.connection]"] + [f"{k} = {_toml_value(v)}" for k, v in connection.items()]
        for section, values in mapping.items():
            lines += [f"[partners.mapping.{section}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class Partners:
    """The demo partners for a run: the REST and GraphQL servers, and each one's added latency."""

    urls: dict[str, str]
    latency_ms: dict[str, float]
    demo: DemoPartners = field(init=False)
    endpoints: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.demo = DemoPartners(dict(self.urls))

    def start(self) -> None:
        self.endpoints = self.demo.start()
        self.set_faults(self.latency_ms, {})

    def set_faults(self, latency_ms: Mapping[str, float], switches: Mapping[str, Mapping[str, Any]]) -> None:
        """Give every HTTP partner its added latency, with `switches[name]` on top (a `/_demo/faults` body);
        every other switch goes off."""
        for name in HTTP_PARTNERS:
            body = {"latency_ms": latency_ms.get(name, 0.0), **switches.get(name, {})}
            response = httpx.put(f"{self.endpoints[name]}/_demo/faults", json=body, timeout=10.0)
            if response.status_code != 200:
                raise RuntimeError(f"{name} refused the fault switches {body}: {response.text}")

    def addresses(self, refused: frozenset[str]) -> tuple[dict[str, str], dict[str, str]]:
        """The database URLs and endpoints for a partners file, the `refused` partners' pointing nowhere."""
        if not refused:
            return dict(self.urls), dict(self.endpoints)
        urls, endpoints, _ = self.demo.apply(FaultPlan.parse(f"{name}=refused" for name in sorted(refused)))
        return urls, endpoints

    def pids(self) -> dict[str, list[int]]:
        """Each HTTP partner's server process."""
        return {name: [process.pid] for name, process in self.demo.processes.items()}

    def stop(self) -> None:
        self.demo.stop()


def _status_kb(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def cpu_seconds(pids: Iterable[int]) -> float:
    """CPU time (user and system) the processes have used so far, in seconds; 0 for one that is gone."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of proc(5)
    return total / _TICKS


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        queue += [int(c) for c in children]
    return found


class Hub:
    """One hub (`hub serve --workers N`) on a free loopback port.

    Args:
        partners_file: Its partners file.
        data_dir: Its `HUB_DATA_DIR`: the hub's own database (clients, keys, audit trail).
        workers: Its worker processes, sharing the port, the database and the audit chain.
        env: Extra `HUB_*` settings.
        profile: Run the hub (one worker) under pyinstrument and write its text report here when it stops,
            next to the session (`.pyisession`: `pyinstrument --load FILE --show-all` renders it again).
        audited: False runs the hub without its audit recorder (`bench._unaudited`), the baseline that
            `--audit-baseline` compares the audited hub with.
    """

    def __init__(
        self,
        partners_file: Path,
        data_dir: Path,
        workers: int = 1,
        env: Mapping[str, str] | None = None,
        profile: Path | None = None,
        audited: bool = True,
    ) -> None:
        if profile is not None and workers != 1:
            raise ValueError("a profile is taken of one hub process: give --hub-workers 1 with --profile")
        self.partners_file, self.data_dir, self.workers, self.profile = (
            partners_file,
            data_dir,
            workers,
            profile,
        )
        self.audited = audited
        self.env = {
            **os.environ,
            "HUB_DATA_DIR": str(data_dir),
            "HUB_PARTNERS_FILE": str(partners_file),
            # The benchmark measures what the hub can serve, not the rate limits that protect it in service.
            "HUB_RATE_LIMIT": "1000000/second",
            "HUB_ORGANISATION_RATE_LIMIT": "1000000/second",
            "HUB_ANONYMOUS_RATE_LIMIT": "1000000/second",
            **(env or {}),
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = Path(tempfile.mkdtemp(prefix="bench-hub-")) / "hub.log"

    def command(self) -> list[str]:
        if self.profile is not None:
            session = ["-r", "pyisession", "-o", str(self._session())]
            return [
                sys.executable,
                "-m",
                "pyinstrument",
                *session,
                "-m",
                "hub",
                "serve",
                "--port",
                str(self.port),
            ]
        if self.audited:
            return [
                *(sys.executable, "-m", "hub", "serve", "--port", str(self.port)),
                *("--workers", str(self.workers)),
            ]
        return [
            *(sys.executable, "-m", "uvicorn", "--factory", "bench._unaudited:create_app"),
            *("--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)),
            *("--log-level", "info", "--proxy-headers"),  # as `hub serve` runs it
        ]

    def start(self, timeout: float = 60.0) -> Hub:
        # The demo's clients, for `token()`: `hub token` never makes a client.
        seed = [sys.executable, "-m", "hub", "demo", "clients", "--data-dir", str(self.data_dir)]
        subprocess.run(seed, capture_output=True, check=True, env=self.env)
        if self.profile is not None:
            self.profile.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"the hub did not start within {timeout:g}s; its log ends:\n{tail}")
            time.sleep(0.1)
        return self

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def token(self, client: str = "investigator") -> str:
        """A real access token from the hub's own database, as `hub token --client NAME` prints it."""
        command = [sys.executable, "-m", "hub", "token", "--client", client, "--data-dir", str(self.data_dir)]
        return subprocess.run(
            command, capture_output=True, text=True, check=True, env=self.env
        ).stdout.strip()

    def pids(self) -> list[int]:
        """The hub's processes: the server, and with workers its worker processes."""
        if self.process is None:
            return []
        return [self.process.pid, *_descendants(self.process.pid)]

    def peak_rss_mb(self) -> float:
        """Peak resident memory since the hub started (VmHWM), summed over its processes, in MB.

        The kernel keeps a high-water mark that cannot be reset, so the figure is cumulative over every
        scenario this hub has served so far.
        """
        return round(sum(_status_kb(pid, "VmHWM") for pid in self.pids()) / 1024, 1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # Under pyinstrument, Ctrl-C: uvicorn stops cleanly, then the profiler writes its report.
            self.process.send_signal(signal.SIGINT if self.profile else signal.SIGTERM)
            try:
                self.process.wait(60 if self.profile else 15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.log_path.parent, ignore_errors=True)
        if self.profile is not None and self._session().exists():
            render = [sys.executable, "-m", "pyinstrument", "--load", str(self._session()), "-r", "text"]
            subprocess.run([*render, "--no-color", "-o", str(self.profile)], check=False)

    def _session(self) -> Path:
        assert self.profile is not None
        return self.profile.with_suffix(".pyisession")
