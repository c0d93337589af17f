"""`hub connectors`: what connector kinds are installed here, for an integration team bringing a partner
online. Registered on the `hub` group by `hub.cli`."""

from __future__ import annotations

import dataclasses
import json

import click

from connectors.registry import describe

__all__ = ["connectors"]


@click.group()
def connectors() -> None:
    """The connector kinds a partner can be configured with."""


@connectors.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def connectors_list(as_json: bool) -> None:
    """Every installed kind (built in, or added by a package's `hub.connectors` entry point): its package,
    where it is defined, and the capabilities it can offer."""
    kinds = describe()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(k) for k in kinds], indent=2))
        return
    rows = [("KIND", "PACKAGE", "CAPABILITIES", "DEFINED IN")]
    for k in kinds:
        package = f"{k.package} {k.version}".strip()
        rows.append((k.name, package, ",".join(k.capabilities) or "-", k.problem or k.target))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
