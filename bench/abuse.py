"""What an anonymous caller can do to everyone else: the documents of the probe's hole 5 sent in a loop
without a token while a normal client searches, and 1,000 distinct large anonymous documents against the
hub's memory.

    python -m bench.abuse [--people 3000] [--requests 200] [--flooders 4] [--documents 1000]

Prints, for the normal client (an investigator searching, concurrency 1): p50 and p95 unloaded and under
the flood, their ratio, the hub's CPU per flood request, /healthz answers during the flood, and the hub's
RSS before and after the distinct documents. Real processes on loopback: the demo partners and `hub serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench._run import hub_client
from bench._scenarios import SEARCH, SURNAMES
from bench._stack import Hub, HubSetup, Partners, _status_kb, cpu_seconds, write_partners_file
from connectors.demo.embedded import ensure_data

#: The probe's documents: 1,200 repeated searches (77 KB) and 19,990 `__typename`.
FLOOD = [
    "{" + " ".join(['searchPersons(criteria:{familyName:"A"}){people{id}}'] * 1200) + "}",
    "{" + " __typename" * 19_990 + "}",
]


async def _normal(client: httpx.AsyncClient, requests: int) -> list[float]:
    latencies = []
    for i in range(requests):
        started = time.perf_counter()
        response = await client.post(
            "/graphql", json={"query": SEARCH, "variables": {"name": SURNAMES[i % len(SURNAMES)]}}
        )
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the normal client got {response.status_code}: {response.text[:200]}")
    return latencies


async def _flood(url: str, stop: asyncio.Event, counts: dict[str, int]) -> None:
    # Encoded once: the load generator shares the machine, and its own JSON work is not the hub's.
    bodies = [json.dumps({"query": document}).encode() for document in FLOOD]
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=headers) as anonymous:
        i = 0
        while not stop.is_set():
            response = await anonymous.post("/graphql", content=bodies[i % len(bodies)])
            counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1
            i += 1


async def _health(url: str, stop: asyncio.Event, statuses: list[int]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        while not stop.is_set():
            statuses.append((await client.get("/healthz")).status_code)
            await asyncio.sleep(0.5)


def _figures(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


async def _measure(hub: Hub, args: argparse.Namespace) -> dict[str, Any]:
    async with hub_client(hub, 4) as (client, _):
        await _normal(client, 10)  # warm: token, document cache, partner connections
        unloaded = _figures(await _normal(client, args.requests))
        stop, counts, health = asyncio.Event(), dict[str, int](), list[int]()
        cpu_before = cpu_seconds(hub.pids())
        background = [asyncio.create_task(_flood(hub.url, stop, counts)) for _ in range(args.flooders)]
        background.append(asyncio.create_task(_health(hub.url, stop, health)))
        await asyncio.sleep(1)
        loaded = _figures(await _normal(client, args.requests))
        stop.set()
        await asyncio.gather(*background)
        flood_cpu = cpu_seconds(hub.pids()) - cpu_before
    rss_before = sum(_status_kb(pid, "VmRSS") for pid in hub.pids()) / 1024
    async with httpx.AsyncClient(base_url=hub.url, timeout=60) as anonymous:
        refused = 0
        for i in range(args.documents):
            document = "{" + f" a{i}: __typename" + " __typename" * 6000 + "}"
            refused += (await anonymous.post("/graphql", json={"query": document})).status_code == 400
    rss_after = sum(_status_kb(pid, "VmRSS") for pid in hub.pids()) / 1024
    flood_requests = sum(counts.values())
    return {
        "unloaded p50/p95 ms": f"{unloaded[0]:.1f} / {unloaded[1]:.1f}",
        "under flood p50/p95 ms": f"{loaded[0]:.1f} / {loaded[1]:.1f}",
        "p50 ratio": f"{loaded[0] / unloaded[0]:.2f}x",
        "flood requests (status: count)": ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())),
        "hub CPU per flood request ms (the normal client's included)": (
            f"{flood_cpu * 1000 / max(flood_requests, 1):.2f}"
        ),
        "/healthz during flood": f"{health.count(200)} x 200, {len(health) - health.count(200)} other",
        f"RSS before / after {args.documents} distinct large anonymous documents MB": (
            f"{rss_before:.1f} / {rss_after:.1f} (+{rss_after - rss_before:.1f}; {refused} refused)"
        ),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    data_dir = Path(args.data_dir)
    urls = await ensure_data(data_dir, args.people, 2026, False, lambda m: print(m, file=sys.stderr))
    partners = Partners(urls, {})
    scratch = tempfile.TemporaryDirectory(prefix="bench-abuse-")
    try:
        partners.start()
        partners_file = Path(scratch.name) / "partners.toml"
        write_partners_file(partners_file, *partners.addresses(frozenset()), HubSetup())
        hub = Hub(partners_file, data_dir, 1).start()
        try:
            return await _measure(hub, args)
        finally:
            hub.stop()
    finally:
        partners.stop()
        scratch.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.abuse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3000, help="people per demo force (default 3000)")
    parser.add_argument("--data-dir", default=".hub-bench", help="where the demo records live")
    parser.add_argument("--requests", type=int, default=200, help="normal searches per phase (default 200)")
    parser.add_argument(
        "--flooders", type=int, default=1, help="anonymous connections flooding, back to back (default 1)"
    )
    parser.add_argument("--documents", type=int, default=1000, help="distinct large documents (default 1000)")
    args = parser.parse_args(argv)
    for key, value in asyncio.run(run(args)).items():
        print(f"{key:75} {value}")


if __name__ == "__main__":
    main()
