"""`hub explain`: what a client would get from a query, and why, without asking any partner."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click
from graphql import GraphQLSyntaxError

from hub._cli import data_dir_option
from hub.access.explain import explain, render
from hub.access.policy import SharingPolicy
from hub.auth.cli import _run
from hub.auth.principal import Principal
from hub.auth.services import AuthServices
from hub.config.settings import HubSettings
from hub.schema import create_schema

__all__ = ["explain_command"]


@click.command("explain")
@click.option("--client", "client_id", required=True, help="The client whose access to explain.")
@click.argument("query_file", type=click.File("r"))
@data_dir_option
def explain_command(client_id: str, query_file: TextIO, data_dir: Path) -> None:
    """For a query (a file, or - for stdin) and a client: each field ALLOWed or DENYed, and why.

    Nothing is executed and no partner is called. Record-level rules (health markers, intelligence with
    handling conditions) are named where they apply.
    """
    query = query_file.read()

    async def load(services: AuthServices) -> Principal:
        client = await services.clients.get(client_id)
        if client is None:  # a demo client, in a fresh demo directory?
            from connectors.demo.clients import seed_demo_client

            await seed_demo_client(services.clients, client_id)
            client = await services.clients.get(client_id)
        if client is None:
            raise click.ClickException(f"No client '{client_id}'. `hub clients list` shows them.")
        if not client.active:
            raise click.ClickException(f"Client '{client_id}' is revoked: it would get nothing.")
        return Principal(
            client_id=client.client_id,
            organisation=client.organisation,
            organisation_type=client.organisation_type,
            scopes=client.scopes,
            purposes=client.purposes,
        )

    principal = _run(data_dir, load)
    policy = SharingPolicy.from_mapping(HubSettings(data_dir=data_dir).sharing_policy)
    try:
        decisions = explain(create_schema()._schema, query, principal, policy)
    except GraphQLSyntaxError as exc:
        name = getattr(query_file, "name", "the query")
        raise click.ClickException(f"{name} is not GraphQL: {exc.message}") from None
    purposes = ", ".join(sorted(principal.purposes)) if principal.purposes is not None else "any"
    click.echo(
        f"Client {principal.client_id} ({principal.organisation}, {principal.organisation_type}); "
        f"scopes: {' '.join(sorted(principal.scopes))}; purposes: {purposes}"
    )
    click.echo(render(decisions))
    sys.stdout.flush()
