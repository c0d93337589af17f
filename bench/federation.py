"""Latency and throughput of the hub in front of the three demo partners, with added partner latency.

    python -m bench.federation [--people 3000] [--concurrency 8] [--requests 400] [--latency 20,40,60]

Starts the REST and GraphQL demo partners and the hub (`hub serve`) as separate processes on loopback, sets
each HTTP partner's added latency through its `/_demo/faults` switch, then drives every scenario with
concurrent clients and prints: requests per second, p50/p95/p99 latency, hub p50 over the slowest partner's
latency (1.0 is the floor), and partner calls per request (from `extensions.partners`). The SQL partner is a
SQLite file: its latency is its own (about a millisecond), so the first latency figure applies to no one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from hub.demo import DemoPartners, ensure_data, free_port, partners_toml

SEARCH = """query($name: String!) { searchPersons(criteria: {familyName: $name}, first: 20) {
  people { id names { familyName givenName } dateOfBirth sources { partner recordId } }
  partners { name outcome } } }"""

PERSON = """query($id: ID!) { person(id: $id) { id names { familyName givenName } dateOfBirth pncId
  warningMarkers { code } intelligence { id grading } custody { id outcome } safeguarding { id kind } } }"""

FIFTY = "query { %s }"
FIFTY_FIELD = 'p%d: person(id: "%s") { id intelligence { id grading } custody { id outcome } }'

SURNAMES = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Murphy", "Evans"]


@dataclass
class Figures:
    scenario: str
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    slowest_partner_ms: float
    hub_over_slowest_partner: float
    partner_observed_p50_ms: float
    hub_over_observed_partner: float
    partner_calls_per_request: float
    partner_round_trips: int


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def drive(
    client: httpx.AsyncClient, bodies: list[dict[str, Any]], requests: int, concurrency: int
) -> tuple[list[float], list[int], list[float], int, float]:
    latencies: list[float] = []
    calls: list[int] = []
    slowest: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            body = bodies[i % len(bodies)]
            started = time.perf_counter()
            response = await client.post("/graphql", json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            payload = response.json()
            if response.status_code != 200 or payload.get("errors"):
                errors += 1
            partners = payload.get("extensions", {}).get("partners", [])
            calls.append(sum(p["calls"] for p in partners))
            slowest.append(max((p["latencyMs"] for p in partners), default=0.0))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, calls, slowest, errors, time.perf_counter() - started


async def run(args: argparse.Namespace) -> list[Figures]:
    latency = [float(x) for x in args.latency.split(",")]
    data_dir = Path(args.data_dir)
    urls = await ensure_data(data_dir, args.people, 2026, False, lambda m: print(m, file=sys.stderr))
    partners = DemoPartners(urls)
    endpoints = partners.start()
    hub_process = None
    try:
        for force, ms in zip(("southmoor", "eastvale"), latency[-2:], strict=True):
            httpx.put(f"{endpoints[force]}/_demo/faults", json={"latency_ms": ms}).raise_for_status()
        partners_file = Path(tempfile.mkdtemp()) / "partners.toml"
        partners_file.write_text(partners_toml(urls, endpoints))
        port = free_port()
        hub_process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--partners", str(partners_file), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HUB_DATA_DIR": str(data_dir)},
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the hub did not start")
            time.sleep(0.1)
        limits = httpx.Limits(max_connections=args.concurrency * 2)
        # A real token and a stated purpose: access control is part of what is measured.
        token = subprocess.run(
            [sys.executable, "-m", "hub", "token", "--client", "investigator", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        headers = {
            "Authorization": f"Bearer {token}",
            "Hub-Purpose": "investigation",
            "Hub-Justification": "Benchmark run",
        }
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, headers=headers) as client:
            ids: list[str] = []
            for name in SURNAMES:
                found = (
                    await client.post("/graphql", json={"query": SEARCH, "variables": {"name": name}})
                ).json()
                ids += [p["id"] for p in found["data"]["searchPersons"]["people"]]
            scenarios = {
                "three-partner search": ([{"query": SEARCH, "variables": {"name": n}} for n in SURNAMES], 1),
                "person by id, everything": ([{"query": PERSON, "variables": {"id": i}} for i in ids], 2),
                "50 people, intelligence + custody": (
                    [
                        {
                            "query": FIFTY
                            % " ".join(FIFTY_FIELD % (k, i) for k, i in enumerate(ids[j : j + 50]))
                        }
                        for j in range(0, max(1, len(ids) - 50), 7)
                    ],
                    2,
                ),
            }
            results = []
            slowest = max(latency)
            for scenario, (bodies, round_trips) in scenarios.items():
                requests = args.requests if "50" not in scenario else max(20, args.requests // 10)
                await drive(client, bodies, min(20, requests), args.concurrency)  # warm-up
                latencies, calls, slowest_seen, errors, elapsed = await drive(
                    client, bodies, requests, args.concurrency
                )
                p50 = statistics.median(latencies)
                partner_p50 = statistics.median(slowest_seen)
                results.append(
                    Figures(
                        scenario=scenario,
                        requests=requests,
                        errors=errors,
                        rps=round(requests / elapsed, 1),
                        p50_ms=round(p50, 1),
                        p95_ms=round(percentile(latencies, 95), 1),
                        p99_ms=round(percentile(latencies, 99), 1),
                        slowest_partner_ms=slowest * round_trips,
                        hub_over_slowest_partner=round(p50 / (slowest * round_trips), 3),
                        partner_observed_p50_ms=round(partner_p50, 1),
                        hub_over_observed_partner=round(p50 / partner_p50, 3) if partner_p50 else 0.0,
                        partner_calls_per_request=round(statistics.mean(calls), 2),
                        partner_round_trips=round_trips,
                    )
                )
            return results
    finally:
        if hub_process is not None:
            hub_process.terminate()
            hub_process.wait(10)
        partners.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=3000, help="people per force (default 3000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario (default 400)")
    parser.add_argument(
        "--latency",
        default="20,40,60",
        help="added latency in ms; the last two go to the REST and GraphQL partners (default 20,40,60)",
    )
    parser.add_argument("--data-dir", default=".hub/bench", help="where the bench keeps its records")
    parser.add_argument("--json", default="bench/results/federation.json", help="write the figures here too")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    columns = [("req", 5), ("err", 4), ("rps", 7), ("p50", 7), ("p95", 7), ("p99", 7)]
    columns += [("floor", 6), ("ratio", 6), ("seen", 6), ("ratio2", 6)]
    header = f"{'scenario':36} " + " ".join(f"{name:>{width}}" for name, width in columns) + f" {'calls':>6}"
    print(header)
    for r in results:
        print(
            f"{r.scenario:36} {r.requests:5d} {r.errors:4d} {r.rps:7.1f} {r.p50_ms:7.1f} {r.p95_ms:7.1f} "
            f"{r.p99_ms:7.1f} {r.slowest_partner_ms:6.0f} {r.hub_over_slowest_partner:6.3f} "
            f"{r.partner_observed_p50_ms:6.1f} {r.hub_over_observed_partner:6.3f} "
            f"{r.partner_calls_per_request:6.2f}"
        )
    print(
        "floor: slowest partner's added latency x partner round trips the query needs (ms); ratio: hub p50 / "
        "floor; seen: p50 of the slowest partner call as the hub timed it (ms), one round trip; ratio2: hub "
        "p50 / seen (meaningful for one-round-trip queries); calls: partner calls per request"
    )
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([asdict(r) for r in results], indent=2))


if __name__ == "__main__":
    main()
