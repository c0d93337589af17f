"""`hub explain`: what a client would get from a query, and why, without asking any partner."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

import click
from graphql import GraphQLSyntaxError

from hub._cli import data_dir_option
from hub.access.explain import InvalidDocument, explain, reads_personal_data, render
from hub.access.policy import SharingPolicy
from hub.access.purpose import check_purpose
from hub.auth.cli import _run
from hub.auth.principal import Principal
from hub.auth.services import AuthServices
from hub.config.settings import HubSettings
from hub.errors import HubError
from hub.schema import create_schema

__all__ = ["explain_command"]


@click.command("explain")
@click.option("--client", "client_id", required=True, help="The client whose access to explain.")
@click.option(
    "--purpose",
    default=None,
    help="The purpose the client would state (Hub-Purpose), checked against the configured purposes and the "
    "client's: one it may not state refuses a query that reads personal data whole (exit 1).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON instead of a table.")
@click.argument("query_file", type=click.File("r"))
@data_dir_option
def explain_command(
    client_id: str, purpose: str | None, as_json: bool, query_file: TextIO, data_dir: Path
) -> None:
    """For a query (a file, or - for stdin) and a client: each field ALLOWed or DENYed, and why.

    Nothing is executed and no partner is called. Record-level rules (health markers, intelligence with
    handling conditions) are named where they apply. A query that does not validate against the schema is
    refused (exit 1, with the validation errors), as the hub would refuse it.
    """
    query = query_file.read()

    async def load(services: AuthServices) -> Principal:
        client = await services.clients.get(client_id)
        if client is None:
            raise click.ClickException(f"No client '{client_id}'. `hub clients list` shows them.")
        if not client.active:
            raise click.ClickException(f"Client '{client_id}' is revoked: it would get nothing.")
        return client.principal()

    principal = _run(data_dir, load)
    settings = HubSettings(data_dir=data_dir)
    policy = SharingPolicy.from_mapping(settings.sharing_policy)
    schema = create_schema()._schema
    name = getattr(query_file, "name", "the query")
    try:
        decisions = explain(schema, query, principal, policy)
    except GraphQLSyntaxError as exc:
        raise click.ClickException(f"{name} is not GraphQL: {exc.message}") from None
    except InvalidDocument as exc:
        listed = "\n  - ".join(e.message for e in exc.errors)
        raise click.ClickException(f"{name} does not validate against the schema:\n  - {listed}") from None
    refusal = None
    needs_purpose = reads_personal_data(schema, query)
    if needs_purpose and purpose is not None:
        try:  # the justification is free text: only the purpose code is in question here
            check_purpose(principal, purpose, "explained", settings.purposes)
        except HubError as exc:
            refusal = {"code": exc.extensions["code"], "message": str(exc)}
    purposes = sorted(principal.purposes) if principal.purposes is not None else None
    if as_json:
        report = {
            "client": principal.client_id,
            "organisation": principal.organisation,
            "organisationType": str(principal.organisation_type),
            "scopes": sorted(principal.scopes),
            "purposes": purposes,
            "purpose": purpose,
            "needsPurpose": needs_purpose,
            "refused": refusal,
            "fields": [{"path": d.path, "allowed": d.allowed, "reason": d.reason} for d in decisions],
        }
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(
            f"Client {principal.client_id} ({principal.organisation}, {principal.organisation_type}); "
            f"scopes: {' '.join(sorted(principal.scopes))}; purposes: {', '.join(purposes or ['any'])}"
        )
        if refusal is not None:
            click.echo(f"REFUSED whole ({refusal['code']}): {refusal['message']}")
        elif needs_purpose and purpose is None:
            click.echo("It reads personal data: the request must state a purpose (--purpose checks one).")
        click.echo(render(decisions))
    sys.stdout.flush()
    if refusal is not None:
        sys.exit(1)
