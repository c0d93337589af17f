"""The httpx load loop: concurrent clients posting GraphQL bodies, one `Sample` per response.

A sample keeps what the report needs from a response and nothing else: the latency as the client saw it,
the HTTP status (0: no response at all), the GraphQL error codes, whether data came back, the partners'
statuses from `extensions.partners`, and the audit write's duration from the `Server-Timing` header.
One Python process driving load spends a core of its own on it; `bench._wrk` is the faster generator.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Sample", "audit_ms", "drive", "sample"]

_AUDIT = re.compile(r"(?:^|,)\s*audit;(?:[^,]*;)?\s*dur=([0-9.]+)")


@dataclass
class Sample:
    """One request as the benchmark saw it."""

    latency_ms: float
    status: int
    codes: list[str] = field(default_factory=list)
    has_data: bool = False
    partners: list[dict[str, Any]] = field(default_factory=list)
    audit_ms: float | None = None


def audit_ms(server_timing: str | None) -> float | None:
    """The `audit;dur=N` entry of a `Server-Timing` header, in ms."""
    found = _AUDIT.search(server_timing or "")
    return float(found.group(1)) if found else None


def sample(latency_ms: float, response: httpx.Response) -> Sample:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        payload = {}
    errors = payload.get("errors") or []
    return Sample(
        latency_ms=latency_ms,
        status=response.status_code,
        codes=[str((e.get("extensions") or {}).get("code", "NO_CODE")) for e in errors],
        has_data=payload.get("data") is not None,
        partners=(payload.get("extensions") or {}).get("partners") or [],
        audit_ms=audit_ms(response.headers.get("server-timing")),
    )


async def drive(
    client: httpx.AsyncClient,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    requests: int | None = None,
    duration: float | None = None,
) -> tuple[list[Sample], float]:
    """Post `bodies` (cycled) from `concurrency` clients: `requests` in all, or for `duration` seconds.

    Returns:
        A sample per request, and the seconds the whole run took.
    """
    samples: list[Sample] = []
    counter = iter(range(requests if requests is not None else 1 << 62))
    started = time.perf_counter()
    stop_at = started + duration if duration is not None else float("inf")

    async def worker() -> None:
        for i in counter:
            if time.perf_counter() >= stop_at:
                return
            sent = time.perf_counter()
            try:
                response = await client.post("/graphql", json=bodies[i % len(bodies)])
            except httpx.HTTPError:
                samples.append(Sample((time.perf_counter() - sent) * 1000, status=0))
                continue
            samples.append(sample((time.perf_counter() - sent) * 1000, response))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples, time.perf_counter() - started
