"""`hub db`: the hub database's schema revision: show it, upgrade it, step it back.

Acts on the hub's database as `hub clients` and `hub audit` do: `--data-dir` (env HUB_DATA_DIR) for the
SQLite file of a `hub demo`, HUB_DATABASE_URL for the shared database of production replicas. A deployment
that runs `hub db upgrade` as its own step sets HUB_AUTO_MIGRATE=false on the hub replicas.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from hub import migrations
from hub._cli import data_dir_option, run_on_database
from hub.config.settings import HubSettings

__all__ = ["db"]

T = TypeVar("T")


def _run(data_dir: Path, action: Callable[[AsyncEngine], Awaitable[T]]) -> tuple[T, str]:
    """Run `action` on the hub's database as it is (not migrated first); the result and where it is."""

    async def on_engine(settings: HubSettings, engine: AsyncEngine) -> T:
        return await action(engine)

    return run_on_database(data_dir, on_engine, prepare=False)


@click.group()
def db() -> None:
    """The hub database's schema: its revision, upgrades and downgrades."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="The revision to upgrade to.")
@data_dir_option
def db_upgrade(revision: str, data_dir: Path) -> None:
    """Bring the hub's database to the latest schema revision (or to --revision)."""
    before, _ = _run(data_dir, migrations.current)
    after, where = _run(data_dir, lambda engine: migrations.upgrade(engine, revision))
    if before == after:
        click.echo(f"{where}: already at revision {after}.")
    else:
        click.echo(f"{where}: upgraded from revision {before or 'none'} to {after}.")


@db.command("current")
@data_dir_option
def db_current(data_dir: Path) -> None:
    """Print the database's revision and the latest; exit 1 when it needs `hub db upgrade`."""
    at, where = _run(data_dir, migrations.current)
    latest = migrations.head()
    click.echo(f"{where}: at revision {at or 'none'}; latest is {latest}.")
    if at != latest:
        raise click.exceptions.Exit(1)


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@data_dir_option
def db_downgrade(revision: str, yes: bool, data_dir: Path) -> None:
    """Step the database back to REVISION ("base" drops every table of the hub: clients, keys, audit)."""
    if not yes:
        click.confirm(
            f"Downgrade the hub's database to {revision}? Tables and data of later revisions are dropped",
            abort=True,
        )
    after, where = _run(data_dir, lambda engine: migrations.downgrade(engine, revision))
    click.echo(f"{where}: now at revision {after or 'none (base)'}.")
