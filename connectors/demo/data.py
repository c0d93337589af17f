"""Deterministic synthetic records for the three demo forces, written into their databases.

The same `(people, seed)` always yields the same databases: every random choice comes from a
`random.Random` seeded from them, never from the clock. Each force holds `people` generated nominals plus
the fixed `SHOWCASE` people (refs 1-99 are reserved for them; generated refs start at 100).

Overlap, so that entity resolution has real work: of each force's generated people, 10% are the same real
people in all three forces and 25% are shared with exactly one other force (12.5% per pair). Copies share
date of birth, sex and (when recorded) PNC ID, but each force spells names its own way (Jon/John, a 3%
family-name typo), records its own aliases and addresses, misses the PNC ID in 20% of copies, and knows only
its own incidents. Shared people are generated from a seed of their own, so one force can be generated
alone and still agree with the others; a force's own people and all its records come from the force's
stream. The nominal order is a fixed permutation, so shared people are spread through the ref range.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from asyncio.subprocess import PIPE
from collections.abc import Callable, Iterator, Mapping, Sequence

from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.schema import CreateTable

from connectors.demo import layout
from connectors.demo._generate import ForceWriter, Row, Universe, make_person
from connectors.demo._showcase import (
    FORCES,
    REFERENCE_TIME,
    SHOWCASE,
    SHOWCASE_COPIES,
    ForceInfo,
    ShowcasePerson,
)

__all__ = [
    "FORCES",
    "PARALLEL_FROM",
    "REFERENCE_TIME",
    "SHOWCASE",
    "ForceInfo",
    "Row",
    "ShowcasePerson",
    "populate",
    "population",
]

_FIRST_GENERATED = 100
_TABLES = layout.metadata.sorted_tables  # parents before children: PostgreSQL checks foreign keys


def _check_forces(names: Sequence[str]) -> None:
    unknown = [name for name in names if name not in FORCES]
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ValueError(f"Unknown demo force(s) {listed}: expected some of {', '.join(FORCES)}")


def population(
    people: int, seed: int = 2026, forces: Sequence[str] | None = None, batch_people: int = 5_000
) -> Iterator[tuple[str, dict[str, list[Row]]]]:
    """Every force's rows, one force after another, in batches of about `batch_people` nominals.

    Args:
        people: generated nominals per force (the showcase people come on top).
        seed: the seed; the same `(people, seed)` always yields the same rows.
        forces: the forces to generate (default all); a force's rows do not depend on which others are.
        batch_people: nominals per batch, which bounds memory whatever `people` is.

    Yields:
        `(force name, {table name: rows})`, the showcase people's batch first; a batch holds the parent
        rows of its children.
    """
    if people < 0:
        raise ValueError(f"people must be 0 or more, not {people}")
    names = list(FORCES) if forces is None else list(forces)
    _check_forces(names)
    universe = Universe(people)
    for name in names:
        index = list(FORCES).index(name)
        writer = ForceWriter(FORCES[name], seed)
        for person, copy in SHOWCASE_COPIES[name]:
            writer.showcase(person, copy)
        yield name, writer.take()
        if not people:
            continue
        shuffle = universe.shuffle(index)
        for j in range(people):
            uid, shared = universe.person_at(index, shuffle(j))
            # A shared person is drawn from a seed of their own, so every force holding them draws the same.
            rng = random.Random(f"{seed}:{uid}") if shared else writer.rng
            writer.generated(_FIRST_GENERATED + j, make_person(rng, uid, smith=shared and uid == 0), shared)
            if (j + 1) % batch_people == 0 or j + 1 == people:
                yield name, writer.take()


#: The load size from which `populate` uses a process per force: generating rows is CPU-bound Python.
PARALLEL_FROM = 20_000


async def populate(
    urls: Mapping[str, str],
    people: int,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
    *,
    workers: int | None = None,
) -> dict[str, int]:
    """Drop and recreate the layout's tables in each force's database and fill them with synthetic records.

    Args:
        urls: force name -> SQLAlchemy async URL (`sqlite+aiosqlite:///...`, `postgresql+asyncpg://...`).
            All forces share one table layout, so each force needs a database of its own.
        people: generated nominals per force, on top of the `SHOWCASE` people.
        seed: the seed; the same `(people, seed)` always writes the same rows.
        progress: called with short messages ("northshire: 200000/1000000 nominals") as the load goes.
        workers: processes loading forces side by side. By default one per force, up to the CPU count, for
            loads of `PARALLEL_FROM` people or more; smaller loads run in this process. The rows are the
            same either way.

    Returns:
        Rows written per table name, summed over the forces.
    """
    _check_forces(list(urls))
    if people < 0:
        raise ValueError(f"people must be 0 or more, not {people}")
    report = progress or (lambda _: None)
    if workers is None:
        workers = min(len(urls), os.cpu_count() or 1) if people >= PARALLEL_FROM else 1
    if workers > 1 and len(urls) > 1:
        results = await _load_in_processes(urls, people, seed, report, workers)
    else:
        results = [await _load(name, url, people, seed, report) for name, url in urls.items()]
    totals = {table.name: 0 for table in _TABLES}
    for counts in results:
        for table, count in counts.items():
            totals[table] += count
    return totals


async def _load(
    name: str, url: str, people: int, seed: int, progress: Callable[[str], None]
) -> dict[str, int]:
    counts = {table.name: 0 for table in _TABLES}
    step, showcase, reported = max(people // 10, 1), len(SHOWCASE_COPIES[name]), 0
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                # The data can be regenerated at will: crash safety during the load would only cost time.
                await conn.exec_driver_sql("PRAGMA journal_mode=OFF")
                await conn.exec_driver_sql("PRAGMA synchronous=OFF")
            await conn.run_sync(layout.metadata.drop_all)
            for table in _TABLES:  # without indexes: building them once after the load is faster
                await conn.execute(CreateTable(table))
            await conn.commit()
            for _, batch in population(people, seed, [name]):
                for table in _TABLES:
                    if rows := batch[table.name]:
                        await conn.execute(table.insert(), rows)
                        counts[table.name] += len(rows)
                await conn.commit()
                done = counts["nominal"] - showcase
                if done >= reported + step or (done == people and done > reported):
                    progress(f"{name}: {done}/{people} nominals")
                    reported = done
            progress(f"{name}: indexing")
            for table in _TABLES:
                for index in sorted(table.indexes, key=lambda index: str(index.name)):
                    await conn.run_sync(index.create)
            if engine.dialect.name == "postgresql":
                for table in _TABLES:
                    await conn.exec_driver_sql(f"ANALYZE {table.name}")
            await conn.commit()
    finally:
        await engine.dispose()
    progress(f"{name}: done, {sum(counts.values())} rows")
    return counts


# Fresh interpreters rather than multiprocessing: a fork would copy this process's event loop and threads,
# and spawn re-imports the caller's __main__, which breaks any script without a main guard.
_WORKER = "from connectors.demo.data import _load_from_stdin; _load_from_stdin()"


async def _load_in_processes(
    urls: Mapping[str, str], people: int, seed: int, progress: Callable[[str], None], workers: int
) -> list[dict[str, int]]:
    slots = asyncio.Semaphore(workers)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path or os.getcwd() for path in sys.path)}

    async def load(name: str, url: str) -> dict[str, int]:
        async with slots:
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-c", _WORKER, stdin=PIPE, stdout=PIPE, env=env
            )
            assert child.stdin is not None and child.stdout is not None
            counts: dict[str, int] | None = None
            try:  # the job goes on stdin: a URL may hold a password, and argv is public
                job = {"force": name, "url": url, "people": people, "seed": seed}
                child.stdin.write(json.dumps(job).encode())
                await child.stdin.drain()
                child.stdin.close()
                async for line in child.stdout:
                    kind, _, text = line.decode().rstrip("\n").partition(" ")
                    if kind == "progress":
                        progress(text)
                    elif kind == "counts":
                        counts = json.loads(text)
                status = await child.wait()
            finally:
                if child.returncode is None:
                    child.kill()
                    await child.wait()
            if status != 0 or counts is None:
                raise RuntimeError(f"Loading demo force {name!r} failed in a worker process (exit {status})")
            return counts

    return list(await asyncio.gather(*(load(name, url) for name, url in urls.items())))


def _load_from_stdin() -> None:
    """A worker process: load the force described on stdin, reporting on stdout."""
    job = json.loads(sys.stdin.read())

    def report(message: str) -> None:
        print("progress", message, flush=True)

    counts = asyncio.run(_load(job["force"], job["url"], job["people"], job["seed"], report))
    print("counts", json.dumps(counts), flush=True)
