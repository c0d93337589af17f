"""The benchmark's figures: one `Figures` per scenario, summed up from samples (httpx) or a wrk run, printed
as a table and written as JSON. bench/README.md says what every figure means.

Requests are sorted three ways: answered in full (HTTP 200, data, no error), partial (HTTP 200 and data,
with errors that all name a partner, `PARTNER_*`: expected when a partner is slow or down) and failed
(no response, an HTTP error, no data, or any other GraphQL error). Errors are counted by code, not only as
failures, so a fault scenario shows which code its partner's failure produced, and how often.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench._drive import Sample
from bench._scenarios import Scenario
from bench._wrk import WrkRun

__all__ = [
    "Figures",
    "audit_comparison",
    "from_samples",
    "from_wrk",
    "percentile",
    "print_audit_comparison",
    "print_table",
    "write_json",
]

_PARTIAL_PREFIX = "PARTNER_"


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`th percentile by nearest rank, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


@dataclass
class Figures:
    """One scenario's figures. Times in ms unless named otherwise; None where a figure does not apply."""

    scenario: str
    title: str
    hub: str
    load_generator: str
    concurrency: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    answered: int
    partial: int
    failed: int
    http_errors: dict[str, int]
    graphql_errors: dict[str, int]
    partner_outcomes: dict[str, dict[str, int]]
    partner_call_p50_ms: dict[str, float | None]
    added_latency_ms: dict[str, float | None]
    partner_timeout_s: dict[str, float]
    round_trips: int
    floor_ms: float | None
    hub_over_floor: float | None
    observed_floor_ms: float | None
    hub_over_observed: float | None
    partner_calls_per_request: float | None
    audit_p50_ms: float | None
    audit_p99_ms: float | None
    hub_peak_rss_mb: float
    notes: list[str] = field(default_factory=list)
    cpu_ms_per_request: dict[str, float] = field(default_factory=dict)
    #: Requests one second of the hub's own CPU serves: its capacity apart from the partners'.
    requests_per_hub_cpu_second: float | None = None
    #: What the hub's CPU per request should be for this query (`HUB_CPU_TARGET_MS`), if a goal is set.
    hub_cpu_target_ms: float | None = None
    #: False for the baseline hub without its audit recorder (`--audit-baseline`).
    audited: bool = True

    @property
    def label(self) -> str:
        return self.title if self.audited else f"{self.title} (no audit)"


def _floors(scenario: Scenario, samples: Iterable[Sample]) -> tuple[list[float], list[float]]:
    """Per request: the configured floor and the observed one, each the slowest partner the request
    touched (its added latency; its call's latency as the hub timed it) times the query's round trips."""
    added = scenario.added_latency_ms()
    configured, observed = [], []
    for s in samples:
        if not s.partners:
            continue
        configured.append(scenario.round_trips * max(added.get(p["name"]) or 0.0 for p in s.partners))
        observed.append(scenario.round_trips * max(float(p["latencyMs"]) for p in s.partners))
    return configured, observed


def from_samples(
    scenario: Scenario, samples: Sequence[Sample], seconds: float, hub: str, rss_mb: float, generator: str
) -> Figures:
    """The figures of an httpx run."""
    latencies = [s.latency_ms for s in samples]
    http_errors: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    call_ms: dict[str, list[float]] = defaultdict(list)
    answered = partial = failed = 0
    for s in samples:
        codes.update(s.codes)
        for p in s.partners:
            outcomes[p["name"]][p["outcome"]] += 1
            call_ms[p["name"]].append(float(p["latencyMs"]))
        if s.status != 200:
            http_errors[str(s.status or "no response")] += 1
            failed += 1
        elif not s.has_data or any(not c.startswith(_PARTIAL_PREFIX) for c in s.codes):
            failed += 1
        elif s.codes:
            partial += 1
        else:
            answered += 1
    configured, observed = _floors(scenario, samples)
    p50 = statistics.median(latencies) if latencies else None
    floor = statistics.median(configured) if configured else None
    seen = statistics.median(observed) if observed else None
    audit = [s.audit_ms for s in samples if s.audit_ms is not None]
    touched = [s for s in samples if s.partners]
    return Figures(
        scenario=scenario.name,
        title=scenario.title,
        hub=hub,
        load_generator=generator,
        concurrency=scenario.concurrency,
        requests=len(samples),
        seconds=round(seconds, 2),
        rps=round(len(samples) / seconds, 1) if seconds else 0.0,
        p50_ms=_r(p50),
        p95_ms=_r(percentile(latencies, 95)),
        p99_ms=_r(percentile(latencies, 99)),
        max_ms=_r(max(latencies, default=None)),
        answered=answered,
        partial=partial,
        failed=failed,
        http_errors=dict(http_errors),
        graphql_errors=dict(codes),
        partner_outcomes={name: dict(c) for name, c in sorted(outcomes.items())},
        partner_call_p50_ms={name: _r(percentile(v, 50)) for name, v in sorted(call_ms.items())},
        added_latency_ms=scenario.added_latency_ms(),
        partner_timeout_s=scenario.timeouts(),
        round_trips=scenario.round_trips,
        floor_ms=_r(floor),
        hub_over_floor=_ratio(p50, floor),
        observed_floor_ms=_r(seen),
        hub_over_observed=_ratio(p50, seen),
        partner_calls_per_request=_r(
            sum(sum(p["calls"] for p in s.partners) for s in touched) / len(touched), 2
        )
        if touched
        else None,
        audit_p50_ms=_r(percentile(audit, 50), 2),
        audit_p99_ms=_r(percentile(audit, 99), 2),
        hub_peak_rss_mb=rss_mb,
        notes=list(scenario.notes),
    )


def from_wrk(scenario: Scenario, run: WrkRun, hub: str, rss_mb: float) -> Figures:
    """The figures of a wrk run. wrk keeps no per-request record, so partner outcomes are not broken down
    by partner, and the observed floor is the slowest partner call times the round trips, at its p50."""
    http_errors = {"non-2xx": run.non_2xx} if run.non_2xx else {}
    http_errors.update({f"socket {k}": v for k, v in run.socket_errors.items() if v})
    other = sum(v for k, v in run.codes.items() if not k.startswith(_PARTIAL_PREFIX))
    # A response without data (an HTTP error's included) failed; one with data and errors is partial.
    failed = sum(run.socket_errors.values()) + max(run.non_2xx, run.without_data)
    partial = max(0, run.with_errors - run.without_data)
    seen = percentile(run.slowest_partner_ms, 50)
    observed = seen * scenario.round_trips if seen is not None else None
    p50 = run.percentiles_ms.get("50")
    # wrk does not say which partners each request touched: the floor assumes the slowest of them all.
    added = [v for v in scenario.added_latency_ms().values() if v is not None]
    floor = scenario.round_trips * max(added, default=0.0)
    return Figures(
        scenario=scenario.name,
        title=scenario.title,
        hub=hub,
        load_generator="wrk",
        concurrency=scenario.concurrency,
        requests=run.requests,
        seconds=round(run.seconds, 2),
        rps=round(run.requests / run.seconds, 1) if run.seconds else 0.0,
        p50_ms=_r(p50),
        p95_ms=_r(run.percentiles_ms.get("95")),
        p99_ms=_r(run.percentiles_ms.get("99")),
        max_ms=_r(run.max_ms),
        answered=max(0, run.requests - failed - partial),
        partial=partial,
        failed=failed,
        http_errors=http_errors,
        graphql_errors=dict(run.codes),
        partner_outcomes={},
        partner_call_p50_ms={},
        added_latency_ms=scenario.added_latency_ms(),
        partner_timeout_s=scenario.timeouts(),
        round_trips=scenario.round_trips,
        floor_ms=_r(floor),
        hub_over_floor=_ratio(p50, floor),
        observed_floor_ms=_r(observed),
        hub_over_observed=_ratio(p50, observed),
        partner_calls_per_request=round(run.partner_calls / run.responses, 2) if run.responses else None,
        audit_p50_ms=_r(percentile(run.audit_ms, 50), 2),
        audit_p99_ms=_r(percentile(run.audit_ms, 99), 2),
        hub_peak_rss_mb=rss_mb,
        notes=[*scenario.notes, f"p99.9 {run.percentiles_ms.get('99.9', 0):.1f} ms; {run.command}"]
        + (
            [
                f"{other} errors with non-partner codes: their requests count as partial here "
                "(wrk keeps too little to tell)"
            ]
            if other
            else []
        ),
    )


def _cell(value: float | None, width: int, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def print_table(results: Sequence[Figures]) -> None:
    """The figures, one row per scenario, then what went wrong and each partner's own latency."""
    heads = [("req", 6), ("fail", 5), ("part", 5), ("rps", 7), ("p50", 7), ("p95", 7), ("p99", 7)]
    heads += [("floor", 7), ("ratio", 6), ("seen", 7), ("ratio", 6), ("calls", 6), ("audit", 6), ("rss", 6)]
    print(f"{'scenario':38} " + " ".join(f"{h:>{w}}" for h, w in heads))
    for r in results:
        print(
            f"{r.label[:38]:38} {r.requests:6d} {r.failed:5d} {r.partial:5d} {r.rps:7.1f} "
            f"{_cell(r.p50_ms, 7)} {_cell(r.p95_ms, 7)} {_cell(r.p99_ms, 7)} {_cell(r.floor_ms, 7)} "
            f"{_cell(r.hub_over_floor, 6, 2)} {_cell(r.observed_floor_ms, 7)} "
            f"{_cell(r.hub_over_observed, 6, 2)} {_cell(r.partner_calls_per_request, 6, 2)} "
            f"{_cell(r.audit_p50_ms, 6, 2)} {r.hub_peak_rss_mb:6.0f}"
        )
    print(
        "\nreq: requests measured; fail: failed (HTTP error, no data, or a non-partner GraphQL error); part: "
        "partial answers (data, with PARTNER_* errors); rps; p50/p95/p99: latency at the client (ms); floor: "
        "slowest touched partner's added latency (or timeout) x round trips (ms, p50 over requests); ratio: "
        "p50 / floor; seen: slowest partner call as the hub timed it x round trips (ms, p50); ratio: p50 / "
        "seen; calls: partner calls per request; audit: audit write p50 (ms, Server-Timing); rss: hub peak "
        "RSS (MB, VmHWM, cumulative since that hub started)\n"
    )
    for r in results:
        print(f"{r.scenario} [{r.hub}; {r.load_generator}, {r.concurrency} concurrent, {r.seconds:g} s]")
        if r.http_errors:
            print(f"  HTTP errors: {r.http_errors}")
        if r.graphql_errors:
            print(f"  GraphQL errors by code: {r.graphql_errors}")
        if r.partner_outcomes:
            print(f"  partner outcomes (requests): {r.partner_outcomes}")
        calls = ", ".join(
            f"{name} {'(no added latency possible) ' if r.added_latency_ms.get(name, 0) is None else ''}"
            f"{_cell(ms, 0).strip()} ms"
            for name, ms in r.partner_call_p50_ms.items()
        )
        if calls:
            print(f"  partner call p50 as the hub timed it: {calls}")
        if r.cpu_ms_per_request:
            cpu = ", ".join(f"{name} {ms:.1f}" for name, ms in r.cpu_ms_per_request.items())
            print(f"  CPU ms per request (user + system): {cpu}")
            hub_ms = r.cpu_ms_per_request.get("hub")
            if r.hub_cpu_target_ms is not None and hub_ms is not None:
                print(f"  hub CPU ms per request {hub_ms:.1f}, target {r.hub_cpu_target_ms:g}")
            if r.requests_per_hub_cpu_second:
                print(f"  requests per hub CPU-second: {r.requests_per_hub_cpu_second:.0f}")
        for note in r.notes:
            print(f"  note: {note}")


def audit_comparison(results: Sequence[Figures]) -> list[dict[str, Any]]:
    """Per scenario run both ways: p50 on the audited hub, on the hub without its recorder, the
    difference, and the audit write's own p50 (`Server-Timing`)."""
    baseline = {r.scenario: r for r in results if not r.audited}
    rows = []
    for r in results:
        other = baseline.get(r.scenario)
        if not r.audited or other is None:
            continue
        added = None if r.p50_ms is None or other.p50_ms is None else round(r.p50_ms - other.p50_ms, 2)
        rows.append(
            {
                "scenario": r.scenario,
                "p50_ms": r.p50_ms,
                "p50_ms_unaudited": other.p50_ms,
                "p50_added_ms": added,
                "p99_ms": r.p99_ms,
                "p99_ms_unaudited": other.p99_ms,
                "rps": r.rps,
                "rps_unaudited": other.rps,
                "audit_p50_ms": r.audit_p50_ms,
            }
        )
    return rows


def print_audit_comparison(results: Sequence[Figures]) -> None:
    """What auditing adds: each scenario's p50 audited and not, one after the other in the same run."""
    print(
        f"{'auditing on vs off':38} {'p50':>7} {'p50 off':>7} {'added':>7} {'p99':>7} {'p99 off':>7} "
        f"{'rps':>7} {'rps off':>7} {'write':>6}"
    )
    for row in audit_comparison(results):
        title = next(r.title for r in results if r.scenario == row["scenario"])
        print(
            f"{title[:38]:38} {_cell(row['p50_ms'], 7)} {_cell(row['p50_ms_unaudited'], 7)} "
            f"{_cell(row['p50_added_ms'], 7, 2)} {_cell(row['p99_ms'], 7)} "
            f"{_cell(row['p99_ms_unaudited'], 7)} "
            f"{row['rps']:7.1f} {row['rps_unaudited']:7.1f} {_cell(row['audit_p50_ms'], 6, 2)}"
        )
    print(
        "\np50, p99: ms at the client on the audited hub; off: the same scenario on a hub without its audit "
        "recorder, run right after it against the same partners; added: p50 - p50 off; write: the audit "
        "write's p50 from Server-Timing (ms)"
    )


def write_json(path: Path, meta: dict[str, Any], results: Sequence[Figures]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {"meta": meta, "scenarios": [asdict(r) for r in results]}
    if any(not r.audited for r in results):
        document["audit_comparison"] = audit_comparison(results)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
