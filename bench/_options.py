"""The federation benchmark's command line: every option, its default, and the checks on its value.

bench/README.md has the same list with what each option changes in the figures.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from bench._scenarios import NAMES
from bench._stack import HTTP_PARTNERS
from connectors.demo.embedded import PARTNER_FAULTS, FaultPlan

__all__ = ["parse_args", "selected"]

_FAULTS = "; ".join(f"{name}: {', '.join(kinds)}" for name, kinds in PARTNER_FAULTS.items())


def _latency(text: str) -> tuple[dict[str, float], float | None]:
    """`--latency`: the added ms per HTTP partner, and what was asked of northshire (it cannot be given)."""
    values = [float(x) for x in text.split(",") if x.strip()]
    if not 1 <= len(values) <= 3 or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(
            f"--latency has value {text!r}: give 1 to 3 milliseconds, e.g. 20,40,60"
        )
    padded = [values[0]] * (3 - len(values)) + values
    return dict(zip(HTTP_PARTNERS, padded[1:], strict=True)), (values[0] if len(values) == 3 else None)


def _slow(text: str) -> tuple[str, float]:
    name, _, ms = text.partition("=")
    if name not in HTTP_PARTNERS or not ms.replace(".", "", 1).isdigit():
        raise argparse.ArgumentTypeError(
            f"--slow has value {text!r}: give PARTNER=MS with PARTNER one of "
            f"{', '.join(HTTP_PARTNERS)} (northshire takes no added latency)"
        )
    return name, float(ms)


def _down(text: str) -> tuple[str, str, dict[str, Any]]:
    try:
        plan = FaultPlan.parse([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--down: {exc}") from None
    name = next(iter(plan.specs))
    return name, plan.specs[name][0], dict(plan.switches.get(name, {}))


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options, checked; `--latency`, `--slow` and `--down` come back parsed (see their helpers)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.federation",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--scenario",
        action="append",
        choices=NAMES,
        metavar="NAME",
        help=f"run this scenario (repeatable; default all but scale): {', '.join(NAMES)}",
    )
    add("--people", metavar="N", type=int, default=3000, help="people per demo force (default 3000)")
    add(
        "--concurrency",
        metavar="N",
        type=int,
        default=8,
        help="concurrent clients in the latency scenarios (default 8)",
    )
    add(
        "--requests",
        metavar="N",
        type=int,
        default=400,
        help="requests per latency scenario; fifty and slow-partner take a tenth, at least 10 (default 400)",
    )
    add(
        "--latency",
        metavar="MS,MS,MS",
        type=_latency,
        default="20,40,60",
        help="added ms for northshire,southmoor,eastvale; northshire (SQL, read directly) cannot take "
        "any, so its figure is only reported (default 20,40,60)",
    )
    add(
        "--slow",
        metavar="PARTNER=MS",
        type=_slow,
        default="eastvale=2000",
        help="slow-partner: PARTNER=MS (default eastvale=2000)",
    )
    add(
        "--slow-timeout",
        metavar="SECONDS",
        type=float,
        default=1.0,
        help="slow-partner: that partner's timeout in seconds (default 1.0)",
    )
    add(
        "--down",
        metavar="PARTNER=KIND",
        type=_down,
        default="southmoor=refused",
        help="partner-down: PARTNER=KIND as `hub demo --fault` takes it, e.g. eastvale=error, "
        f"southmoor=hang (default southmoor=refused). {_FAULTS}",
    )
    add(
        "--duration",
        metavar="SECONDS",
        type=float,
        default=10.0,
        help="throughput: seconds of load (default 10)",
    )
    add(
        "--throughput-connections",
        metavar="N",
        type=int,
        default=32,
        help="throughput: connections kept busy (default 32)",
    )
    add(
        "--load-generator",
        choices=("wrk", "httpx"),
        default=None,
        help="throughput: wrk (default when installed) or httpx (fallback)",
    )
    add(
        "--wrk-threads", metavar="N", type=int, default=1, help="throughput with wrk: its threads (default 1)"
    )
    add(
        "--hub-workers",
        metavar="N",
        type=int,
        default=1,
        help="hub worker processes (`hub serve --workers N`) (default 1)",
    )
    add(
        "--audit-baseline",
        action="store_true",
        help="run every latency scenario a second time on a hub without its audit recorder, right after the "
        "audited one, and print what auditing adds to p50",
    )
    add(
        "--profile",
        metavar="DIR",
        default=None,
        help="run each hub under pyinstrument (one worker) and write its report to DIR/hub-N.txt; "
        "profiling slows the hub, so its figures are not comparable with an unprofiled run",
    )
    add(
        "--scale-people",
        metavar="N",
        type=int,
        default=None,
        help="run the scale scenario with this many people in the SQL partner (e.g. 1000000); alone, it "
        "runs only that scenario",
    )
    add(
        "--scale-data-dir",
        metavar="DIR",
        default=None,
        help="where the scale records are kept (default .hub/bench-scale-N)",
    )
    add(
        "--data-dir",
        metavar="DIR",
        default=".hub/bench",
        help="where the bench keeps its records and hub database",
    )
    add("--json", metavar="PATH", default="bench/results/federation.json", help="write the figures here too")
    return parser.parse_args(argv)


def selected(args: argparse.Namespace) -> list[str]:
    """The scenarios to run, in the order they run: `--scenario`'s, else all but scale (only scale with
    `--scale-people` alone)."""
    asked = set(args.scenario or ([] if args.scale_people else [n for n in NAMES if n != "scale"]))
    if args.scale_people:
        asked.add("scale")
    elif "scale" in asked:
        raise SystemExit("--scenario scale needs --scale-people N")
    return [n for n in NAMES if n in asked]
