"""What the `hub` subcommands that act on the hub's database share (`hub clients`, `token`, `keys`,
`explain`, `audit`, `db`): the `--data-dir` option, the settings, and running one async action on the
database with its failures turned into clean command-line errors (never a traceback, never a password)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.config.settings import HubSettings
from hub.db import SchemaOutOfDate, create_engine, normalise_url, prepare_database

__all__ = ["data_dir_option", "run_on_database", "settings_for"]

T = TypeVar("T")

data_dir_option = click.option(
    "--data-dir",
    default=Path(".hub"),
    show_default=True,
    envvar="HUB_DATA_DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="The hub's data directory (its SQLite database). Env: HUB_DATA_DIR. HUB_DATABASE_URL overrides.",
)


def settings_for(data_dir: Path) -> HubSettings:
    """The hub's settings for a command on `data_dir` (HUB_* from the environment)."""
    try:
        return HubSettings(data_dir=data_dir)
    except ValidationError as exc:
        raise click.ClickException(f"Invalid settings:\n{exc}") from None


def run_on_database(
    data_dir: Path,
    action: Callable[[HubSettings, AsyncEngine], Awaitable[T]],
    *,
    prepare: bool = True,
    caller_errors: tuple[type[Exception], ...] = (),
    unusable: tuple[type[Exception], ...] = (),
) -> tuple[T, str]:
    """Run `action` on the hub's database (migrated first unless `prepare` is false, as the hub would);
    its result, and where the database is (without its password).

    Args:
        data_dir: The data directory (the SQLite file, unless HUB_DATABASE_URL says otherwise).
        action: What to do, given the settings and the engine.
        prepare: Bring the database to the latest revision first (or check it is, per HUB_AUTO_MIGRATE).
        caller_errors: Exceptions whose message tells the user what they got wrong, shown as it is.
        unusable: Exceptions that, like the database's own, mean the database cannot be used now.

    Raises:
        click.ClickException: Invalid settings, or any of the above.
    """
    settings = settings_for(data_dir)
    url = settings.effective_database_url
    try:
        where = normalise_url(url).render_as_string(hide_password=True)
    except ValueError as exc:
        raise click.ClickException(f"HUB_DATABASE_URL: {exc}") from None

    async def main() -> T:
        engine = create_engine(url)
        try:
            if prepare:
                await prepare_database(engine, migrate=settings.auto_migrate)
            return await action(settings, engine)
        finally:
            await engine.dispose()

    database_errors: tuple[type[Exception], ...] = (SQLAlchemyError, OSError, SchemaOutOfDate, *unusable)
    try:
        return asyncio.run(main()), where
    except caller_errors as exc:
        raise click.ClickException(str(exc)) from None
    except database_errors as exc:
        # The first line only: a driver's message goes on with the statement and its parameters.
        first_line = str(exc).strip().split("\n", 1)[0]
        raise click.ClickException(f"The hub's database {where} cannot be used: {first_line}") from None
