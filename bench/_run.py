"""Measuring one scenario against a running hub: a client with a real token, a warm-up, then the load.

Latency scenarios are driven with httpx, which keeps every response (error codes, partner statuses, audit
time); a throughput scenario with wrk when it is installed, else with httpx and a note saying what that
costs. The CPU time the hub, the partners and the load generator use during the load is read too: on a
small machine it says where a throughput ceiling comes from.
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from bench._drive import drive
from bench._report import Figures, from_samples, from_wrk
from bench._scenarios import HUB_CPU_TARGET_MS, TYPENAME, Scenario
from bench._stack import Hub, cpu_seconds
from bench._wrk import run_wrk, wrk_path

__all__ = ["HTTPX_NOTE", "choose_generator", "hub_client", "measure"]

HTTPX_NOTE = (
    "load generator httpx: the benchmark's own Python process spends up to a core of this machine's two "
    "on making requests, so the hub's rps here is a floor (install wrk: apt-get install wrk)"
)


def choose_generator(asked: str | None) -> tuple[str, str | None]:
    """The throughput load generator to use, and a note when it is not the one asked for (or the best)."""
    if asked in (None, "wrk") and wrk_path() is not None:
        return "wrk", None
    if asked == "wrk":
        return "httpx", "wrk was asked for but is not installed: falling back to httpx. " + HTTPX_NOTE
    return "httpx", HTTPX_NOTE


@asynccontextmanager
async def hub_client(hub: Hub, connections: int) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """An httpx client for the hub with a real investigator token and a stated purpose: access control and
    audit are part of what is measured. Yields the client and the headers (for wrk)."""
    headers = {
        "Authorization": f"Bearer {hub.token()}",
        "Hub-Purpose": "investigation",
        "Hub-Justification": "Benchmark run",
    }
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=hub.url, timeout=60, limits=limits, headers=headers) as client:
        yield client, headers


class _CpuMeter:
    """CPU time used while the load runs: by the hub's and the partners' processes, and by the load
    generator (this process for httpx, the finished wrk child for wrk)."""

    def __init__(self, processes: Mapping[str, Sequence[int]]) -> None:
        self.processes = processes
        self.started = self._now()

    def _now(self) -> dict[str, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {
            **{name: cpu_seconds(pids) for name, pids in self.processes.items()},
            "load generator": time.process_time() + children.ru_utime + children.ru_stime,
        }

    def per_request_ms(self, requests: int) -> dict[str, float]:
        now = self._now()
        return {k: round((now[k] - self.started[k]) * 1000 / max(requests, 1), 2) for k in now}


async def measure(
    scenario: Scenario,
    bodies: Sequence[dict[str, Any]],
    client: httpx.AsyncClient,
    headers: dict[str, str],
    hub: Hub,
    hub_label: str,
    generator: str = "httpx",
    wrk_threads: int = 1,
    partner_pids: Mapping[str, Sequence[int]] | None = None,
) -> Figures:
    """Warm up, run `scenario` with `bodies`, and sum it up (the hub's peak memory read afterwards).

    `partner_pids` names the partner processes whose CPU time is reported next to the hub's.
    """
    if scenario.warm_up:
        await drive(client, bodies, min(scenario.concurrency, scenario.warm_up), requests=scenario.warm_up)
    else:  # nothing that would call a partner: a slow or broken one must meet the measured requests fresh
        await drive(client, [TYPENAME], 1, requests=3)
    meter = _CpuMeter({"hub": hub.pids(), **(partner_pids or {})})
    if scenario.duration is not None and generator == "wrk":
        connections = scenario.concurrency
        run = await asyncio.to_thread(
            run_wrk, f"{hub.url}/graphql", headers, bodies, connections, scenario.duration, wrk_threads
        )
        figures = from_wrk(scenario, run, hub_label, hub.peak_rss_mb())
    else:
        requests = None if scenario.duration is not None else scenario.requests
        samples, seconds = await drive(client, bodies, scenario.concurrency, requests, scenario.duration)
        figures = from_samples(scenario, samples, seconds, hub_label, hub.peak_rss_mb(), "httpx")
    figures.cpu_ms_per_request = meter.per_request_ms(figures.requests)
    hub_ms = figures.cpu_ms_per_request.get("hub")
    if hub_ms:  # the hub's own capacity, read apart from the partners sharing the cores
        figures.requests_per_hub_cpu_second = round(1000 / hub_ms, 1)
    figures.hub_cpu_target_ms = HUB_CPU_TARGET_MS.get(scenario.query)
    return figures
