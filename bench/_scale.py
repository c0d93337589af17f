"""The scale scenario: the SQL partner alone, holding `--scale-people` people, searched and read by id.

The records come from the demo's own generator (`connectors.demo.data.populate`, what `hub demo generate`
runs), for Northshire only: the other forces play no part here and would triple the wait. They are kept in
a data directory of their own (`.hub/bench-scale-N` by default) with a stamp, and reused while the stamp
says the same people and seed; a million people take about three minutes to generate, with progress
printed. The hub reads that SQLite file directly, through the `sql` connector, with the layout's indexes.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

from bench._report import Figures
from bench._run import hub_client, measure
from bench._scenarios import Corpus, Scenario
from bench._stack import Hub, HubSetup, write_partners_file
from connectors.demo.data import populate
from connectors.demo.embedded import database_url

__all__ = ["ensure_scale_data", "run_scale", "search_indexes"]

_STAMP = "bench-scale.json"
_FORCE = "northshire"


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def ensure_scale_data(data_dir: Path, people: int, seed: int = 2026) -> str:
    """The SQL partner's database URL, with `people` people generated into `data_dir` unless already there."""
    data_dir.mkdir(parents=True, exist_ok=True)
    url = database_url(data_dir, _FORCE)
    stamp, wanted = data_dir / _STAMP, {"force": _FORCE, "people": people, "seed": seed}
    if (data_dir / f"{_FORCE}.db").exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted:
        _echo(f"scale: reusing {people:,} {_FORCE} people in {data_dir}")
        return url
    stamp.unlink(missing_ok=True)
    _echo(f"scale: generating {people:,} {_FORCE} people into {data_dir} (a million take about 3 minutes)")
    started = time.monotonic()

    def progress(message: str) -> None:
        _echo(f"scale: [{time.monotonic() - started:6.0f} s] {message}")

    await populate({_FORCE: url}, people, seed, progress)
    stamp.write_text(json.dumps(wanted))
    _echo(f"scale: generated in {time.monotonic() - started:.0f} s")
    return url


def search_indexes(database: Path) -> list[str]:
    """The indexes on the tables a search reads, as `name (columns)`."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('nominal', 'nominal_alias') ORDER BY name"
        ).fetchall()
        return [
            f"{name} ({', '.join(c[2] for c in db.execute(f'PRAGMA index_info({name!r})'))})"
            for name, _ in rows
        ]


async def run_scale(
    people: int, data_dir: Path, requests: int, concurrency: int, workers: int, number: int
) -> list[Figures]:
    """Search and person-by-id figures against the SQL partner alone, with `people` people in it."""
    url = await ensure_scale_data(data_dir, people)
    indexes = search_indexes(data_dir / f"{_FORCE}.db")
    setup = HubSetup(partners=(_FORCE,))
    partners_file = data_dir / "partners-bench.toml"
    write_partners_file(partners_file, {_FORCE: url}, {}, setup)
    hub = Hub(partners_file, data_dir, workers).start()
    label = (
        f"hub #{number} ({'hub serve' if workers == 1 else f'uvicorn --workers {workers}'}, {_FORCE} only)"
    )
    note = f"{people:,} people in {_FORCE} (SQLite, read by the hub directly); indexes: {'; '.join(indexes)}"
    results = []
    try:
        async with hub_client(hub, concurrency * 2) as (client, headers):
            corpus = await Corpus().collect(client)
            for name, title, query, trips in (
                ("scale-search", "search", "search", 1),
                ("scale-person", "person by id, everything", "person", 1),
            ):
                scenario = Scenario(
                    name,
                    f"scale {people:,}: {title}",
                    query,
                    trips,
                    setup,
                    {},
                    requests=requests,
                    concurrency=concurrency,
                    notes=(note,),
                )
                bodies = corpus.search() if query == "search" else corpus.person()
                results.append(await measure(scenario, bodies, client, headers, hub, label))
    finally:
        hub.stop()
    return results
