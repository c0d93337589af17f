"""`hub connectors check PARTNER`: connect to one configured partner as the hub would, and show what works.

For an integration team bringing a partner online: the connector is built from the partners file, opened,
asked for its health and, with `--surname`, made to search and to fetch every kind of record it offers for
the people found (`hub.federation.check`). It prints counts and timings, never the records. Reading a
partner's records is a consultation: the check is recorded in the audit trail (outcome `partner-checked`,
the operating-system user as subject, every record read as a `match`) before anything is printed, and if
the audit trail cannot be written nothing is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._cli import data_dir_option, run_on_database
from hub.audit.errors import AuditUnavailable
from hub.audit.events import AuditEvent, Disclosure
from hub.audit.store import append_once
from hub.config.partners_file import PartnersFileError, load_partners
from hub.config.settings import HubSettings
from hub.federation.check import CheckReport, check_partner

__all__ = ["check_command"]


def _event(report: CheckReport, surname: str | None) -> AuditEvent:
    disclosed = tuple(
        Disclosure(report.partner, kind, record_id, person)
        for kind, record_id, person in dict.fromkeys(report.read)
    )
    checked = AuditEvent.of_operator(
        "hub connectors check", "partner-checked", {"partner": report.partner, "surname": surname}
    )
    return dataclasses.replace(
        checked,
        purpose="integration-check",
        disclosed=disclosed,
        failed_partners=() if report.ok else (report.partner,),
        latency_ms=sum(s.ms or 0.0 for s in report.steps),
    )


def _print(report: CheckReport) -> None:
    click.echo(f"Partner {report.partner} ({report.kind}, {report.title})")
    click.echo(f"  offers: {', '.join(report.offered) or '-'}")
    click.echo(f"  does not offer: {', '.join(report.not_offered) or '-'}")
    for step in report.steps:
        ms = f"{step.ms:8.1f} ms" if step.ms is not None else " " * 11
        detail = " ".join(part for part in (step.code, step.detail) if part)
        click.echo(f"  {step.name:<10} {step.outcome:<8}{ms}  {detail}".rstrip())
    click.echo("OK" if report.ok else "FAILED: see the steps above")


@click.command("check")
@click.argument("partner")
@click.option("--surname", help="Search the partner for this family name and fetch the people found.")
@click.option(
    "--partners",
    "partners_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The partners file (default: HUB_PARTNERS_FILE).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@data_dir_option
def check_command(
    partner: str, surname: str | None, partners_file: Path | None, as_json: bool, data_dir: Path
) -> None:
    """Connect to PARTNER as the hub would: health, and with --surname a sample search and fetch, each
    timed; what it can and cannot be asked. Exits 1 if a step failed. Recorded in the audit trail."""

    async def run(settings: HubSettings, engine: AsyncEngine) -> CheckReport:
        path = partners_file or settings.partners_file
        if path is None:
            raise click.ClickException("No partners file: give --partners FILE or set HUB_PARTNERS_FILE.")
        try:
            configs = {
                c.name: c
                for c in load_partners(
                    path,
                    settings.partner_timeout,
                    settings.partner_max_batch_size,
                    settings.partner_defaults(),
                )
            }
        except PartnersFileError as exc:
            raise click.ClickException(str(exc)) from None
        if partner not in configs:
            raise click.ClickException(
                f"No partner {partner!r} in {path}; it configures {', '.join(sorted(configs))}."
            )
        report = await check_partner(configs[partner], surname)
        await append_once(engine, _event(report, surname), settings.audit_write_timeout_seconds)
        return report

    report, _ = run_on_database(data_dir, run, unusable=(AuditUnavailable, asyncio.TimeoutError))
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2))
    else:
        _print(report)
    if not report.ok:
        raise SystemExit(1)
