"""Latency, throughput and resilience of the hub in front of the three demo partners.

    python -m bench.federation [--scenario NAME ...] [--people 3000] [--concurrency 8] [--requests 400]
                               [--latency 20,40,60] [--load-generator wrk|httpx] [--hub-workers 1]
                               [--scale-people 1000000] [--profile DIR] [--audit-baseline]

Starts the REST and GraphQL demo partners and the hub (`hub serve`) as separate processes on loopback,
gets a real token (`hub token --client investigator`), gives the HTTP partners their added latency and
faults through their `/_demo/faults` switches, and drives each scenario:

    person          person by id, everything (markers, intelligence, custody, safeguarding)
    search          a search that every partner answers
    fifty           50 people with intelligence and custody, in one query
    throughput      person by id for --duration seconds, partners at zero added latency (wrk if installed)
    slow-partner    the search with one partner at 2 s and its timeout at 1 s: the answer comes at 1 s
    partner-down    the search with one partner refusing connections (or another --down fault)
    scale           with --scale-people N: search and by-id against the SQL partner alone, N people

For each it prints and writes to JSON: requests, failures and partial answers (errors counted by code),
requests per second, p50/p95/p99, hub p50 over the slowest partner's latency (configured, and as the hub
timed the call), partner calls per request, the audit write's p50 (`Server-Timing`) and the hub's peak
memory. With --audit-baseline every scenario runs again on a hub without its audit recorder, and a second
table gives what auditing adds to p50. bench/README.md says what each figure means and how to reproduce the
issue's targets.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import itertools
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._options import parse_args, selected
from bench._report import Figures, print_audit_comparison, print_table, write_json
from bench._run import choose_generator, hub_client, measure
from bench._scale import run_scale
from bench._scenarios import Corpus, Scenario, catalogue
from bench._stack import Hub, Partners, write_partners_file
from connectors.demo.embedded import ensure_data

__all__ = ["main"]


async def _run_demo(
    args: argparse.Namespace, chosen: list[Scenario], generator: str, notes: list[str]
) -> list[Figures]:
    data_dir = Path(args.data_dir)
    urls = await ensure_data(data_dir, args.people, 2026, False, lambda m: print(m, file=sys.stderr))
    latency, _ = args.latency
    partners = Partners(urls, latency)
    results: list[Figures] = []
    scratch = tempfile.TemporaryDirectory(prefix="bench-")
    corpus = Corpus()
    try:
        partners.start()
        audits = [True, False] if args.audit_baseline else [True]
        for number, (setup, grouped) in enumerate(itertools.groupby(chosen, key=lambda s: s.setup), 1):
            group = list(grouped)
            partners_file = Path(scratch.name) / f"partners-{number}.toml"
            write_partners_file(partners_file, *partners.addresses(setup.refused), setup)
            for audited in audits:
                name = f"hub-{number}" if audited else f"hub-{number}-unaudited"
                profile = Path(args.profile) / f"{name}.txt" if args.profile else None
                hub = Hub(partners_file, data_dir, args.hub_workers, profile=profile, audited=audited)
                label = f"hub #{number} (workers {args.hub_workers}{'' if audited else ', no audit'})"
                print(f"starting {label} for {', '.join(s.name for s in group)}", file=sys.stderr)
                hub.start()
                try:
                    results += await _measure_on(hub, label, group, args, partners, corpus, generator, notes)
                finally:
                    hub.stop()
    finally:
        partners.stop()
        scratch.cleanup()
    return results


async def _measure_on(
    hub: Hub,
    label: str,
    group: list[Scenario],
    args: argparse.Namespace,
    partners: Partners,
    corpus: Corpus,
    generator: str,
    notes: list[str],
) -> list[Figures]:
    """Each scenario of `group` on one running hub; the person ids are found once, on the first hub."""
    results = []
    connections = max(args.concurrency, args.throughput_connections)
    async with hub_client(hub, connections) as (client, headers):
        if not corpus.ids:
            partners.set_faults(args.latency[0], {})
            await corpus.collect(client)
        for scenario in group:
            print(f"running {scenario.name}: {scenario.title} on {label}", file=sys.stderr)
            partners.set_faults(scenario.latency_ms, scenario.switches)
            figures = await measure(
                scenario,
                getattr(corpus, scenario.query)(),
                client,
                headers,
                hub,
                label,
                generator if scenario.duration else "httpx",
                args.wrk_threads,
                partners.pids(),
            )
            figures.audited = hub.audited
            if not hub.audited:
                figures.notes = [n.replace("audit on", "audit off (the baseline)") for n in figures.notes]
            if scenario.duration and generator == "httpx":
                figures.notes += notes
            results.append(figures)
    return results


def _meta(args: argparse.Namespace, generator: str, notes: list[str]) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    latency, northshire = args.latency
    return {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "options": {
            **vars(args),
            "latency": {"northshire": northshire, **latency},
            "slow": "=".join(map(str, args.slow)),
            "down": f"{args.down[0]}={args.down[1]}",
        },
        "added_latency_ms": {"northshire": None, **latency},
        "northshire_latency_asked_ms": northshire,
        "throughput_load_generator": generator,
        "notes": notes,
    }


async def run(args: argparse.Namespace) -> tuple[list[Figures], dict[str, Any]]:
    """Every selected scenario's figures, and what the run was (machine, options, notes)."""
    names = selected(args)
    latency, northshire = args.latency
    generator, generator_note = choose_generator(args.load_generator)
    notes = [generator_note] if generator_note and "throughput" in names else []
    if northshire is not None and any(n != "scale" for n in names):
        notes.append(
            f"northshire: {northshire:g} ms asked, none added: it is a SQLite file the hub reads directly, "
            "with no server to slow down; its figure is its own latency (see 'partner call p50')"
        )
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    notes.append(
        f"load average {load:.1f} on {cpus} cores at the start: the hub, its partners and the load generator "
        "share them with whatever else runs, so figures are noisy when that is above a core or so"
    )
    down_name, down_kind, down_switches = args.down
    scenarios = catalogue(
        latency,
        args.requests,
        args.concurrency,
        args.slow,
        args.slow_timeout,
        (down_name, down_kind),
        down_switches,
        args.duration,
        args.throughput_connections,
    )
    chosen = [scenarios[n] for n in names if n in scenarios]
    results = (
        await _run_demo(args, chosen, generator, [generator_note] if generator_note else []) if chosen else []
    )
    if "scale" in names:
        data_dir = Path(args.scale_data_dir or f".hub/bench-scale-{args.scale_people}")
        results += await run_scale(
            args.scale_people,
            data_dir,
            args.requests,
            args.concurrency,
            args.hub_workers,
            len({s.setup for s in chosen}) + 1,
        )
    return results, _meta(args, generator, notes)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(__doc__ or "", argv)
    results, meta = asyncio.run(run(args))
    print()
    print_table(results)
    if args.audit_baseline:
        print()
        print_audit_comparison(results)
    for note in meta["notes"]:
        print(f"note: {note}")
    write_json(Path(args.json), meta, results)
    print(f"\nWrote {args.json}")


if __name__ == "__main__":
    main()
