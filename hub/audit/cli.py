"""`hub audit`: verify the audit trail's hash chain, export it, and purge what retention allows.

The commands act on the hub's database as `hub clients` does: `--data-dir` (env HUB_DATA_DIR) for the SQLite
file of a `hub demo`, HUB_DATABASE_URL for the shared database of production replicas.

The lead registers the `audit` group on `hub`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._cli import data_dir_option, run_on_database, settings_for
from hub.audit.events import StoredEvent
from hub.audit.store import (
    AuditFilter,
    AuditStore,
    AuditUnavailable,
    VerifyResult,
    check_purge,
)
from hub.config.settings import HubSettings

__all__ = ["audit", "record"]

T = TypeVar("T")


def _run(data_dir: Path, action: Callable[[AuditStore], Awaitable[T]]) -> T:
    """Open the audit store on the hub's database, run `action`, close; errors become clean CLI errors."""

    async def with_store(settings: HubSettings, engine: AsyncEngine) -> T:
        store = AuditStore(engine, settings.audit_write_timeout_seconds)
        try:
            return await action(store)
        finally:
            await store.aclose()

    return run_on_database(data_dir, with_store, caller_errors=(ValueError,), unusable=(AuditUnavailable,))[0]


class _Moment(click.ParamType[Any, datetime]):
    """An ISO 8601 date or time; without an offset it is UTC."""

    name = "ISO-TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z)", param, ctx
            )
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record(stored: StoredEvent) -> dict[str, Any]:
    """An event as one flat JSON object: its chain fields, then every field of the event."""
    event = {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(stored.event).items()}
    event["occurred_at"] = stored.event.occurred_at.isoformat()
    return {
        "seq": stored.seq,
        "event_id": stored.event_id,
        **event,
        "document_hash": stored.document_hash,
        "prev_hash": stored.prev_hash,
        "hash": stored.hash,
    }


@click.group()
def audit() -> None:
    """The audit trail: who looked at what, for which purpose, in a tamper-evident chain."""


@audit.command("verify")
@data_dir_option
def verify(data_dir: Path) -> None:
    """Recompute the hash chain: print "ok: N events", or the first broken event and exit 1."""

    async def check(store: AuditStore) -> VerifyResult:
        return await store.verify()

    result = _run(data_dir, check)
    if result.ok:
        click.echo(f"ok: {result.checked} events")
        return
    where = f"event {result.first_broken_seq}" if result.first_broken_seq is not None else "the head"
    click.echo(f"broken at {where}: {result.reason} ({result.checked} events checked before it)", err=True)
    sys.exit(1)


@audit.command("export")
@click.option(
    "--since", type=_Moment(), help="Only events at or after this time (ISO 8601; UTC if no offset)."
)
@click.option("--until", type=_Moment(), help="Only events before this time.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True,
    help="One JSON object per line, or CSV with lists and objects as JSON.",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
@data_dir_option
def export(
    since: datetime | None, until: datetime | None, fmt: str, output: Path | None, data_dir: Path
) -> None:
    """Write the events in [since, until) in seq order, streaming (any size of trail)."""

    async def write(store: AuditStore) -> int:
        if output is None:
            return await _write(store, sys.stdout, since, until, fmt)
        with output.open("w", encoding="utf-8", newline="") as out:
            return await _write(store, out, since, until, fmt)

    written = _run(data_dir, write)
    click.echo(f"Exported {written} events.", err=True)


async def _write(
    store: AuditStore, out: IO[str], since: datetime | None, until: datetime | None, fmt: str
) -> int:
    writer: csv.DictWriter[str] | None = None
    written = 0
    bar: Any = None
    if sys.stderr.isatty():  # a person watching: show how far it got; a pipe or a log gets nothing
        total = await store.count(AuditFilter(since=since, until=until))
        bar = click.progressbar(length=total, label="Exporting", file=sys.stderr)
    with bar if bar is not None else contextlib.nullcontext():
        async for stored in store.export(since, until):
            row = record(stored)
            if fmt == "jsonl":
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                if writer is None:
                    writer = csv.DictWriter(out, fieldnames=list(row))
                    writer.writeheader()
                writer.writerow(
                    {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()}
                )
            written += 1
            if bar is not None:
                bar.update(1)
    return written


@audit.command("purge")
@click.option("--before", required=True, type=_Moment(), help="Delete events before this time (ISO 8601).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@data_dir_option
def purge(before: datetime, yes: bool, data_dir: Path) -> None:
    """Delete events older than --before, if HUB_AUDIT_RETENTION_DAYS allows; the purge itself is recorded.

    Refused while the chain does not verify: a purge must not destroy the evidence of tampering.
    """
    retention = settings_for(data_dir).audit_retention_days
    try:
        check_purge(before, retention)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None

    async def survey(store: AuditStore) -> tuple[VerifyResult, int]:
        return await store.verify(), await store.count(AuditFilter(until=before))

    result, count = _run(data_dir, survey)
    if not result.ok:
        raise click.ClickException(
            f"The audit chain is broken at event {result.first_broken_seq}: {result.reason}. "
            "Investigate before purging anything."
        )
    if count == 0:
        click.echo(f"No events before {before.isoformat()}: nothing purged.", err=True)
        return
    if not yes:
        click.confirm(
            f"Delete {count} audit events from before {before.isoformat()}? This cannot be undone", abort=True
        )

    async def delete(store: AuditStore) -> int:
        return await store.purge(before, retention, actor=getpass.getuser())

    purged = _run(data_dir, delete)
    click.echo(
        f"Purged {purged} events from before {before.isoformat()}; the purge is recorded in the chain."
    )
