"""Watches: how long from a partner recording something to a watcher's subscription being told, and what
each poll of a partner's change feed costs the hub.

    python -m bench.watches [--watches 1000] [--changes 100] [--rate 10] [--poll 0.5] [--people 300]
                            [--new-records 0.2]

The demo's Eastvale runs as a real server on loopback, on records generated for the run; the hub runs in
this process, polling every `--poll` seconds (the benchmark makes the polls, to time each alone), with
`--watches` live watches, spread over Eastvale's
people, one of them on each person an arrest is made for. Arrests are made at `--rate` a second through
Eastvale's demo endpoint, `--changes` of them; each is timed from the arrest's answer to its notification
reaching a subscription. A share of the arrests (`--new-records`) is of someone Eastvale makes a new
subject record for, under the watched person's name and date of birth and without a PNC ID: the hub
matches it to the watch by entity resolution (reading the watched record to compare names) before the
arrest can fire it. Prints detection-to-delivery latency (p50, p99: at most one poll interval plus the
poll's own time, by design), and per poll the hub's CPU (time.thread_time of the poll: nothing else runs in
this process meanwhile; Eastvale runs in a thread of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

import httpx
from sqlalchemy import select

from bench._report import percentile
from connectors.demo import layout
from connectors.demo.data import populate
from connectors.demo.graphql_partner import create_app as eastvale_app
from connectors.demo.serve import ServerThread
from connectors.demo.store import DemoStore
from hub.auth.principal import OrganisationType, Principal
from hub.config.partners_file import parse_partners
from hub.config.settings import HubSettings
from hub.http.app import create_app

__all__ = ["main"]


def _partners(eastvale_url: str) -> str:
    return (
        '[[partners]]\nname = "eastvale"\nkind = "graphql"\ntitle = "Eastvale Police"\n'
        f'[partners.connection]\nurl = "{eastvale_url}/graphql"\n'
    )


async def run(
    watches: int, changes: int, rate: float, poll: float, people: int, new_records: float, data: Path
) -> dict[str, float]:
    urls = {f: f"sqlite+aiosqlite:///{data / f'{f}.db'}" for f in ("northshire", "southmoor", "eastvale")}
    await populate(urls, people, 2026)
    store = DemoStore(urls["eastvale"])
    async with store.engine.connect() as conn:
        nominals = (await conn.execute(select(layout.nominal))).mappings().all()
    refs = [n["nominal_ref"] for n in nominals]
    await store.aclose()
    partner = ServerThread(eastvale_app(urls["eastvale"])).start()
    configs = parse_partners(tomllib.loads(_partners(partner.url)))
    (data / "hub").mkdir()
    # The polls are made by the benchmark, every `poll` seconds, so that each is timed alone.
    settings = HubSettings(data_dir=data / "hub", watch_poll_seconds=0, database_url=None)
    app = create_app(settings, partners=configs)
    async with app.router.lifespan_context(app):
        principal = Principal(
            client_id="investigator", subject="bench", organisation="Bench", scopes=frozenset(),
            organisation_type=OrganisationType.POLICE_FORCE,
        )  # fmt: skip
        await app.state.auth.clients.add(
            "investigator", "Bench", "police-force", ["person:read", "custody:read", "watch:write"]
        )
        until = datetime.now(UTC) + timedelta(days=1)
        for i in range(watches):
            ref = refs[i % len(refs)]
            await app.state.watches.create(
                principal, [("eastvale", ref)], ["custody"], until, "investigation", None
            )
        poller = app.state.poller
        while await app.state.watches.unkeyed(1):  # the watched records' keys, read before the timing
            await poller.key_sources()
        polls: list[float] = []
        latencies: list[float] = []
        arrested: dict[str, float] = {}
        async with app.state.broker.subscribe("investigator") as subscription, httpx.AsyncClient() as client:
            await poller.poll_once()  # the feed's start
            made = matched = 0
            every = round(1 / new_records) if new_records > 0 else 0
            while len(latencies) < changes:
                # One poll interval: arrests at `rate`, then the poll (nothing else runs in it, so its thread
                # CPU is the poll's own), then what it told.
                deadline = time.perf_counter() + poll
                while made < changes and time.perf_counter() < deadline:
                    body: dict[str, object] = {"reason": "Bench arrest", "offences": []}
                    subject = nominals[made % len(refs)]
                    if every and made % every == every - 1:  # one arrest in `every`
                        body["subject"] = {
                            "surname": subject["surname"],
                            "forenames": subject["forenames"],
                            "dateOfBirth": subject["birth_date"].isoformat()
                            if subject["birth_date"]
                            else None,
                            "sex": subject["sex"],
                        }
                        matched += 1
                    else:
                        body["subjectRef"] = subject["nominal_ref"]
                    answer = await client.post(f"{partner.url}/_demo/arrests", json=body)
                    arrested[answer.json()["ref"]] = time.perf_counter()
                    made += 1
                    await asyncio.sleep(1 / rate)
                await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
                started = time.thread_time()
                await poller.poll_once()
                polls.append(time.thread_time() - started)
                while not subscription.queue.empty():
                    n = subscription.queue.get_nowait()
                    if getattr(n.record, "id", None) in arrested:
                        latencies.append(time.perf_counter() - arrested.pop(n.record.id))
    partner.stop()
    return {
        "changes": float(changes),
        "watches": float(watches),
        "p50_ms": median(latencies) * 1000,
        "p99_ms": (percentile(latencies, 99) or 0.0) * 1000,
        "new_records": float(matched),
        "polls": float(len(polls)),
        "poll_cpu_ms_p50": median(polls) * 1000 if polls else 0.0,
        "poll_cpu_ms_max": max(polls) * 1000 if polls else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="arrests a second")
    parser.add_argument("--poll", type=float, default=0.5, help="HUB_WATCH_POLL_SECONDS")
    parser.add_argument("--people", type=int, default=300, help="people per demo force")
    parser.add_argument(
        "--new-records", type=float, default=0.2, help="the share of arrests made under a new subject record"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        figures = asyncio.run(
            run(
                args.watches, args.changes, args.rate, args.poll, args.people, args.new_records, Path(scratch)
            )
        )
    print(
        f"{int(figures['watches'])} watches, {int(figures['changes'])} arrests at {args.rate:g}/s "
        f"({int(figures['new_records'])} under a new subject record, matched by entity resolution), "
        f"poll every {args.poll:g}s:\n"
        f"  detection to delivery: p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms\n"
        f"  per poll of the partner's feed ({int(figures['polls'])} polls): hub CPU p50 "
        f"{figures['poll_cpu_ms_p50']:.2f} ms, max {figures['poll_cpu_ms_max']:.2f} ms; one feed call each, "
        "one fetch of the records when a watch fired, and with new subject records one read of them and one "
        "of the watched records born the same day"
    )


if __name__ == "__main__":
    main()
