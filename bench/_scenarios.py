"""What the federation benchmark asks the hub, and under which partner conditions.

A `Scenario` names a query (a list of request bodies, cycled), the faults switched on in the demo partners
while it runs, the hub setup it needs (`HubSetup`: partners file, timeouts), and how many partner round
trips its query needs at least, which turns the partners' added latency into the floor the hub's latency is
compared with. `catalogue()` builds every scenario from the command line's options; `Corpus` holds the
person ids the queries ask for, found by searching the hub first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from bench._stack import HTTP_PARTNERS, HubSetup

__all__ = ["NAMES", "SEARCH", "Corpus", "Scenario", "catalogue"]

SEARCH = """query($name: String!) { searchPersons(criteria: {familyName: $name}, first: 20) {
  people { id names { familyName givenName } dateOfBirth sources { partner recordId } }
  partners { name outcome } } }"""

PERSON = """query($id: ID!) { person(id: $id) { id names { familyName givenName } dateOfBirth pncId
  warningMarkers { code } intelligence { id grading } custody { id outcome } safeguarding { id kind } } }"""

FIFTY = "query { %s }"
FIFTY_FIELD = 'p%d: person(id: "%s") { id intelligence { id grading } custody { id outcome } }'

SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Murphy", "Evans"]
#: The hub's CPU per request that the project aims for, by query (user + system ms of the hub process),
#: printed beside what each scenario measured: a goal to read against, never asserted.
HUB_CPU_TARGET_MS: Mapping[str, float] = {"person": 2.5, "search": 4.0, "fifty": 15.0}
#: A query that touches no partner: warms the hub (token check, parser, audit) without tripping breakers.
TYPENAME: dict[str, Any] = {"query": "query { __typename }"}

#: Every scenario name `--scenario` takes, in the order they run (scenarios sharing a hub run together).
NAMES = ("person", "search", "fifty", "throughput", "slow-partner", "partner-down", "scale")
#: What a partner without a server of its own can be told to show: nothing. Its latency is its own.
_NO_ADDED_LATENCY = ("northshire",)


@dataclass
class Corpus:
    """Person ids for the queries, found by searching common surnames through the hub."""

    ids: list[str] = field(default_factory=list)

    async def collect(self, client: httpx.AsyncClient, surnames: list[str] = SURNAMES) -> Corpus:
        for name in surnames:
            response = await client.post("/graphql", json={"query": SEARCH, "variables": {"name": name}})
            people = ((response.json().get("data") or {}).get("searchPersons") or {}).get("people") or []
            self.ids += [p["id"] for p in people if p["id"] not in self.ids]
        if not self.ids:
            raise RuntimeError(f"searching the hub for {', '.join(surnames)} found nobody to ask for by id")
        return self

    def search(self) -> list[dict[str, Any]]:
        return [{"query": SEARCH, "variables": {"name": n}} for n in SURNAMES]

    def person(self) -> list[dict[str, Any]]:
        return [{"query": PERSON, "variables": {"id": i}} for i in self.ids]

    def fifty(self) -> list[dict[str, Any]]:
        ids = (self.ids * (1 + 50 // len(self.ids)))[: max(50, len(self.ids))]
        return [
            {"query": FIFTY % " ".join(FIFTY_FIELD % (k, i) for k, i in enumerate(ids[j : j + 50]))}
            for j in range(0, max(1, len(ids) - 49), 7)
        ]


@dataclass(frozen=True)
class Scenario:
    """One measured scenario.

    Attributes:
        name: What `--scenario` calls it.
        title: What the report calls it.
        query: Which `Corpus` bodies it sends: "person", "search" or "fifty".
        round_trips: Partner round trips its query needs at least, one after the other.
        setup: The hub it needs.
        latency_ms: Each HTTP partner's added latency while it runs.
        switches: Fault switches on top of the latency, per partner (`/_demo/faults` bodies).
        requests: Requests measured (ignored when `duration` is set).
        duration: Seconds of load, for a throughput scenario.
        concurrency: Requests in flight at once.
        warm_up: Requests sent first and not measured; 0 sends a few that touch no partner instead.
        notes: Said under the figures.
    """

    name: str
    title: str
    query: str
    round_trips: int
    setup: HubSetup
    latency_ms: Mapping[str, float]
    switches: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    requests: int = 400
    duration: float | None = None
    concurrency: int = 8
    warm_up: int = 20
    notes: tuple[str, ...] = ()

    def added_latency_ms(self) -> dict[str, float | None]:
        """Each partner's configured delay as a floor for one call: the added latency, or the timeout when
        the partner hangs or is slower than it; 0 for a refused partner; None where none can be added."""
        added: dict[str, float | None] = {}
        for name in self.setup.partners:
            timeout_ms = self.setup.timeout_of(name) * 1000
            if name in self.setup.refused:
                added[name] = 0.0
            elif name in _NO_ADDED_LATENCY:
                added[name] = None
            elif self.switches.get(name, {}).get("mode") == "hang":
                added[name] = timeout_ms
            else:
                added[name] = min(self.latency_ms.get(name, 0.0), timeout_ms)
        return added

    def timeouts(self) -> dict[str, float]:
        return {name: self.setup.timeout_of(name) for name in self.setup.partners}


def catalogue(
    latency: Mapping[str, float],
    requests: int,
    concurrency: int,
    slow: tuple[str, float],
    slow_timeout: float,
    down: tuple[str, str],
    down_switches: Mapping[str, Any],
    duration: float,
    throughput_connections: int,
) -> dict[str, Scenario]:
    """Every scenario but `scale` (see `bench._scale`), from the command line's options.

    Args:
        latency: Added latency per HTTP partner, in ms.
        requests: Requests per scenario; the slower scenarios take a tenth.
        concurrency: Concurrent clients.
        slow: The slow partner and its latency in ms.
        slow_timeout: The slow partner's timeout in seconds, below its latency.
        down: The partner that is down, and how (a `hub demo --fault` kind: refused, error, hang, ...).
        down_switches: The `/_demo/faults` body for it (empty when refused).
        duration: Seconds of load in the throughput scenario.
        throughput_connections: Connections kept busy in the throughput scenario.
    """
    default = HubSetup()
    few = max(10, requests // 10)
    slow_name, slow_ms = slow
    down_name, down_kind = down
    zero = dict.fromkeys(HTTP_PARTNERS, 0.0)
    scenarios = [
        Scenario("person", "person by id, everything", "person", 1, default, latency, requests=requests),
        Scenario("search", "three-partner search", "search", 1, default, latency, requests=requests),
        Scenario("fifty", "50 people, intelligence + custody", "fifty", 1, default, latency, requests=few),
        Scenario(
            "throughput",
            "person by id, throughput, 0 ms added",
            "person",
            1,
            default,
            zero,
            duration=duration,
            concurrency=throughput_connections,
            notes=("partners at zero added latency; access control and audit on",),
        ),
        Scenario(
            "slow-partner",
            f"search, {slow_name} at {slow_ms:g} ms",
            "search",
            1,
            # The breaker is kept shut so that every request waits for the timeout: that is what is measured.
            HubSetup(keys=((slow_name, (("timeout", slow_timeout), ("breaker_threshold", 1_000_000))),)),
            {**latency, slow_name: slow_ms},
            requests=few,
            warm_up=0,
            notes=(
                f"{slow_name}: {slow_ms:g} ms added, timeout {slow_timeout:g} s in its partners-file entry, "
                "circuit breaker kept shut (breaker_threshold 1000000) so that every answer waits for the "
                "timeout; "
                f"expected: p50 about {slow_timeout * 1000:g} ms with PARTNER_TIMEOUT from {slow_name}",
            ),
        ),
        Scenario(
            "partner-down",
            f"search, {down_name} {down_kind}",
            "search",
            1,
            HubSetup(refused=frozenset({down_name}) if down_kind == "refused" else frozenset()),
            latency,
            switches={down_name: down_switches} if down_switches else {},
            requests=requests,
            warm_up=0,
            notes=(
                f"{down_name}: {down_kind}; the answers carry the other partners' records and an error "
                f"naming {down_name}; after breaker_threshold failures its breaker opens and the code "
                "becomes PARTNER_CIRCUIT_OPEN (no call is made) until the cool-down",
            ),
        ),
    ]
    return {s.name: s if s.duration else replace(s, concurrency=concurrency) for s in scenarios}
