"""The `hub` command: run the hub, the embedded demo, and the tools around them."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, ClassVar

import click
import uvicorn

__all__ = ["main"]


class _LazyGroup(click.Group):
    """A group some of whose commands are imported only when they are used: `hub demo` lives with the demo
    code (`connectors.demo.cli`), which the production commands, `hub serve` above all, never import."""

    lazy: ClassVar[dict[str, str]] = {"demo": "connectors.demo.cli:demo"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attribute = self.lazy[name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The police information-sharing hub: live look-ups across partner forces' records, in one query."""


@cli.command()
@click.option(
    "--partners",
    "partners_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HUB_PARTNERS_FILE",
    required=True,
    help="The partners file (TOML). Env: HUB_PARTNERS_FILE.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on."
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    envvar="HUB_WORKERS",
    type=click.IntRange(1, 64),
    help="Hub processes sharing the port (uvicorn workers); they share the database and audit chain, each "
    "has its own breakers and partner connections. Env: HUB_WORKERS.",
)
def serve(partners_file: Path, host: str, port: int, workers: int) -> None:
    """Serve the hub for the partners in a partners file."""
    from hub.config.check import ConfigurationError, check_configuration
    from hub.http.app import create_app

    try:  # every problem in the settings, partners and issuers at once, before anything listens
        settings = check_configuration(partners_file)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    app = create_app(settings)
    from hub.http.logs import log_config

    # The hub writes its own access line per request (`hub.access`): uvicorn's would say less, twice.
    served: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": True,
        "log_config": log_config(settings.log_format),
        "access_log": False,
    }
    if workers == 1:
        uvicorn.run(app, **served)
        return
    # Each worker process builds its own app from the same settings, read from the environment.
    os.environ["HUB_PARTNERS_FILE"] = str(partners_file.resolve())
    # Their metrics are summed at /metrics (prometheus_client's multiprocess mode), in this run's own files.
    own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    if own_metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hub-metrics-")
    try:
        uvicorn.run("hub.http.app:create_app", factory=True, workers=workers, **served)
    finally:
        if own_metrics_dir:
            shutil.rmtree(os.environ.pop("PROMETHEUS_MULTIPROC_DIR"), ignore_errors=True)


@cli.group()
def schema() -> None:
    """The published GraphQL contract."""


@schema.command("export")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout."
)
def schema_export(output: Path | None) -> None:
    """Print the schema's SDL (what schema.graphql must hold)."""
    from hub.schema import sdl

    text = sdl()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


from hub.auth.cli import register as _register_auth_commands  # noqa: E402

_register_auth_commands(cli)  # hub clients, hub token, hub keys, hub documents

from hub.access.cli import explain_command  # noqa: E402

cli.add_command(explain_command)

from hub.audit.cli import audit as _audit_commands  # noqa: E402

cli.add_command(_audit_commands)  # hub audit verify|export|purge

from hub.watches.cli import webhooks as _webhook_commands  # noqa: E402

cli.add_command(_webhook_commands)  # hub webhooks set|dead-letters|replay

from hub.migrations.cli import db as _db_commands  # noqa: E402

cli.add_command(_db_commands)  # hub db upgrade|current|downgrade

from connectors.cli import connectors as _connector_commands  # noqa: E402
from hub.partner_cli import check_command as _check_partner  # noqa: E402

_connector_commands.add_command(_check_partner)  # hub connectors check PARTNER
cli.add_command(_connector_commands)  # hub connectors list | check


def main() -> None:
    cli(prog_name="hub")
