"""The embedded demo: three fictional forces' systems and the hub, on this machine, with nothing to install.

`hub demo` generates the synthetic records once into the data directory (`.hub/` by default), starts the
REST and GraphQL partners as their own processes on free loopback ports, writes the partners file that points
the hub at them (and at the SQL partner's database file), and serves the hub in this process.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from connectors.demo.data import FORCES, populate

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "EXAMPLE_QUERY",
    "DemoPartners",
    "ensure_data",
    "graphiql_headers",
    "partners_toml",
]

DEMO_CLIENT_ID = "hub"
DEMO_CLIENT_SECRET = "southmoor-demo-secret"  # synthetic data only; a real partner's secret comes from ${ENV}
KINDS = {"northshire": "sql", "southmoor": "rest", "eastvale": "graphql"}
_STAMP = "demo-data.json"
_DATA_VERSION = 1

EXAMPLE_QUERY = """\
query Kilbride {
  searchPersons(criteria: {familyName: "Kilbride"}) {
    people {
      id
      names { familyName givenName kind }
      dateOfBirth
      pncId
      matchConfidence
      sources { partner recordId }
      warningMarkers { code description partner }
      custody { custodyNumber station arrestedAt outcome }
      safeguarding { kind occurredAt childrenPresent contactPoint }
    }
    partners { name outcome latencyMs error }
  }
}"""


def graphiql_headers(token: str, purpose: str = "investigation") -> str:
    """The JSON to paste into GraphiQL's Headers tab: the token and the stated purpose."""
    return json.dumps(
        {
            "Authorization": f"Bearer {token}",
            "Hub-Purpose": purpose,
            "Hub-Justification": "Demo: Operation Kestrel, checking a suspect's history",
        },
        indent=2,
    )


def database_url(data_dir: Path, force: str) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / f'{force}.db').resolve()}"


async def ensure_data(
    data_dir: Path, people: int, seed: int, regenerate: bool, echo: Callable[[str], None]
) -> dict[str, str]:
    """The forces' database URLs, generating the records unless the same ones are already there."""
    data_dir.mkdir(parents=True, exist_ok=True)
    urls = {force: database_url(data_dir, force) for force in FORCES}
    wanted = {"people": people, "seed": seed, "version": _DATA_VERSION}
    stamp = data_dir / _STAMP
    present = all((data_dir / f"{force}.db").exists() for force in FORCES)
    if not regenerate and present and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        echo(f"Using the demo records in {data_dir} ({people} people per force, seed {seed}).")
        return urls
    stamp.unlink(missing_ok=True)
    echo(f"Generating {people} people per force (seed {seed}) into {data_dir} ...")
    started = time.monotonic()
    counts = await populate(urls, people, seed, progress=echo)
    stamp.write_text(json.dumps(wanted))
    echo(f"Generated {sum(counts.values())} rows in {time.monotonic() - started:.1f}s.")
    return urls


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def partners_toml(urls: dict[str, str], partner_urls: dict[str, str], timeout: float = 5.0) -> str:
    """The partners file for the demo: one SQL, one REST and one GraphQL partner."""
    return f"""\
# Written by `hub demo`: the three demo forces, each reached over its own protocol.

[[partners]]
name = "northshire"
kind = "sql"
title = "{FORCES["northshire"].title}"
contact = "Northshire Police Public Protection Unit, 01632 960111"
timeout = {timeout}
[partners.connection]
url = "{urls["northshire"]}"

[[partners]]
name = "southmoor"
kind = "rest"
title = "{FORCES["southmoor"].title}"
contact = "Southmoor Constabulary MASH Police Desk, 01632 960222"
timeout = {timeout}
[partners.connection]
base_url = "{partner_urls["southmoor"]}"
client_id = "{DEMO_CLIENT_ID}"
client_secret = "{DEMO_CLIENT_SECRET}"

[[partners]]
name = "eastvale"
kind = "graphql"
title = "{FORCES["eastvale"].title}"
contact = "Eastvale Police Intelligence Bureau, 01632 960333"
timeout = {timeout}
[partners.connection]
url = "{partner_urls["eastvale"]}/graphql"
"""


@dataclass
class DemoPartners:
    """The REST and GraphQL demo partners, each a server in a process of its own."""

    urls: dict[str, str]
    host: str = "127.0.0.1"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)

    def start(self, timeout: float = 30.0) -> dict[str, str]:
        for force in ("southmoor", "eastvale"):
            port = free_port(self.host)
            command = [
                sys.executable,
                "-m",
                "hub",
                "demo",
                "partner",
                KINDS[force],
                "--database",
                self.urls[force],
            ]
            command += ["--host", self.host, "--port", str(port)]
            self.processes[force] = subprocess.Popen(command, stdin=subprocess.DEVNULL)
            self.endpoints[force] = f"http://{self.host}:{port}"
        deadline = time.monotonic() + timeout
        for force, url in self.endpoints.items():
            while not self._healthy(url):
                if self.processes[force].poll() is not None:
                    raise RuntimeError(
                        f"the {force} demo partner exited with {self.processes[force].returncode}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the {force} demo partner did not become healthy within {timeout:g}s")
                time.sleep(0.1)
        return dict(self.endpoints)

    @staticmethod
    def _healthy(url: str) -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
