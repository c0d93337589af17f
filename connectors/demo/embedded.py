"""The embedded demo: three fictional forces' systems and the hub, on this machine, with nothing to install.

`hub demo` generates the synthetic records once into the data directory (`.hub/` by default), starts the
REST and GraphQL partners as their own processes on free loopback ports, switches on the faults asked for
with `--fault` (a `FaultPlan`), writes the partners file that points the hub at the partners (and at the SQL
partner's database file), and serves the hub in this process.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from connectors.demo.data import FORCES, populate
from connectors.demo.instrument import FAULT_KINDS, FaultError, spec_body
from connectors.demo.serve import RefusedPort

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "EXAMPLE_QUERY",
    "PARTNER_FAULTS",
    "DemoPartners",
    "FaultPlan",
    "ensure_data",
    "graphiql_headers",
    "partners_toml",
]

DEMO_CLIENT_ID = "hub"
DEMO_CLIENT_SECRET = "southmoor-demo-secret"  # synthetic data only; a real partner's secret comes from ${ENV}
KINDS = {"northshire": "sql", "southmoor": "rest", "eastvale": "graphql"}
#: The fault kinds each demo partner takes. Northshire is a database the hub reads directly, with no server
#: of its own to slow down or break: it can only be out of reach.
PARTNER_FAULTS: Mapping[str, tuple[str, ...]] = {
    "northshire": ("refused",),
    "southmoor": tuple(FAULT_KINDS),
    "eastvale": tuple(FAULT_KINDS),
}
FAULT_SYNTAX = (
    "Give PARTNER=KIND, e.g. --fault eastvale=hang or --fault southmoor=latency:2000. "
    "Partners: northshire (refused only), southmoor, eastvale. Kinds: latency:MS or latency:LOW-HIGH, "
    + ", ".join(f"{k}[:RATE]" for k in FAULT_KINDS if k not in ("latency", "refused"))
    + ", refused."
)
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
include = true  # its API embeds records in nominals fetched by id: one request per call

[[partners]]
name = "eastvale"
kind = "graphql"
title = "{FORCES["eastvale"].title}"
contact = "Eastvale Police Intelligence Bureau, 01632 960333"
timeout = {timeout}
[partners.connection]
url = "{partner_urls["eastvale"]}/graphql"
"""


@dataclass(frozen=True)
class FaultPlan:
    """The faults that `hub demo --fault PARTNER=KIND` asked for, checked.

    `specs` holds each partner's `KIND[:ARG]` specs as given, `switches` the `/_demo/faults` body that turns
    a running partner's faults on, and `refused` the partners the hub is to find nothing listening for.
    """

    specs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    switches: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    refused: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, values: Iterable[str]) -> FaultPlan:
        """The plan for `PARTNER=KIND[:ARG]` values, or `ValueError` naming the valid partners and kinds."""
        specs: dict[str, list[str]] = {}
        for value in values:
            partner, equals, spec = (part.strip() for part in value.partition("="))
            kind = spec.partition(":")[0]
            if not equals or not partner or not spec:
                raise ValueError(f"{value!r} is not PARTNER=KIND. {FAULT_SYNTAX}")
            if partner not in PARTNER_FAULTS:
                raise ValueError(f"{value!r}: there is no demo partner {partner!r}. {FAULT_SYNTAX}")
            if kind not in FAULT_KINDS:
                raise ValueError(f"{value!r}: {kind!r} is not a fault kind. {FAULT_SYNTAX}")
            if kind not in PARTNER_FAULTS[partner]:
                only = ", ".join(PARTNER_FAULTS[partner])
                raise ValueError(
                    f"{value!r}: {partner} is a database that the hub reads directly, with no server of its "
                    f"own to slow down or break; the only fault it takes is {only}."
                )
            specs.setdefault(partner, []).append(spec)
        switches, refused = {}, set()
        for partner, given in specs.items():
            if "refused" in given:
                if given != ["refused"]:
                    raise ValueError(
                        f"{partner}: 'refused' goes alone (given {', '.join(given)}): a partner that the hub "
                        "cannot connect to shows no other fault."
                    )
                refused.add(partner)
                continue
            try:
                switches[partner] = spec_body(given)
            except FaultError as exc:
                raise ValueError(f"{partner}: {exc}") from None
        if "northshire" in refused and importlib.util.find_spec("asyncpg") is None:
            raise ValueError(
                "northshire=refused points the hub at a PostgreSQL server where nothing listens, which needs "
                "the PostgreSQL driver: pip install 'police-hub[postgres]'."
            )
        return cls({p: tuple(g) for p, g in specs.items()}, switches, frozenset(refused))

    def locations(
        self, urls: Mapping[str, str], endpoints: Mapping[str, str], port: RefusedPort
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The database URLs and partner endpoints for the hub's partners file, each refused partner's
        pointing at `port`: an HTTP partner's endpoint, or the SQL partner's database server (PostgreSQL)."""
        urls, endpoints = dict(urls), dict(endpoints)
        for partner in self.refused:
            if KINDS[partner] == "sql":
                urls[partner] = f"postgresql+asyncpg://{partner}@{port.host}:{port.port}/{partner}"
            else:
                endpoints[partner] = port.url
        return urls, endpoints

    def describe(self, partner: str, where: str) -> str:
        """One line for a person: what is switched on for `partner`, and how to switch it off."""
        parts = []
        for spec in self.specs[partner]:
            kind, _, arg = spec.partition(":")
            share = f" (on {float(arg):.0%} of API requests)" if arg and kind != "latency" else ""
            parts.append(f"{spec}: {FAULT_KINDS[kind]}{share}")
        if partner in self.refused:
            undo = f"the hub looks for it at {where}; run the demo without this --fault to undo"
        else:
            undo = f"switch off: curl -X DELETE {where}/_demo/faults"
        return f"  {partner}: {'; '.join(parts)}\n    ({undo})"


@dataclass
class DemoPartners:
    """The REST and GraphQL demo partners, each a server in a process of its own."""

    urls: dict[str, str]
    host: str = "127.0.0.1"
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)
    refusing: RefusedPort | None = None

    def apply(self, plan: FaultPlan) -> tuple[dict[str, str], dict[str, str], list[str]]:
        """Switch the plan's faults on in the running partners.

        Returns:
            The database URLs and the partner endpoints to write into the hub's partners file (a refused
            partner's pointing at a `RefusedPort`), and one line per faulty partner for a person.
        """
        lines = []
        for partner, switches in plan.switches.items():
            response = httpx.put(f"{self.endpoints[partner]}/_demo/faults", json=switches, timeout=10.0)
            if response.status_code != 200:
                raise RuntimeError(f"{partner} refused the faults {switches}: {response.text}")
            lines.append(plan.describe(partner, self.endpoints[partner]))
        if not plan.refused:
            return dict(self.urls), dict(self.endpoints), lines
        self.refusing = self.refusing or RefusedPort(self.host)
        for partner in sorted(plan.refused):
            lines.append(plan.describe(partner, f"{self.refusing.host}:{self.refusing.port}"))
        return (*plan.locations(self.urls, self.endpoints, self.refusing), lines)

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

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the partners: each shuts down gracefully (a request held by a fault for at most its server's
        own graceful timeout), and one still running after `timeout` is killed.

        Whatever interrupts the wait (a second Ctrl-C or SIGTERM while the partners shut down), no partner
        outlives this call: the ones still running are killed before the interruption goes on.
        """
        if self.refusing is not None:
            self.refusing.close()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        try:
            for process in self.processes.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=max(deadline - time.monotonic(), 0.0))
        finally:
            for process in self.processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait()
