"""`hub clients`, `hub token`, `hub keys` and `hub documents`: manage OAuth clients, signing keys and trusted
documents, and print tokens.

They act on the hub's database: `--data-dir` (env HUB_DATA_DIR) picks the SQLite file a `hub demo` in that
directory uses, and HUB_DATABASE_URL, when set, the shared database of production replicas. The other
HUB_* settings (HUB_TOKEN_ISSUER, ...) apply as they do to the hub, so a printed token is one it accepts.

Registered on the `hub` group by `register(cli)`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._cli import data_dir_option, run_on_database, settings_for
from hub.audit.errors import AuditUnavailable
from hub.audit.events import AuditEvent
from hub.audit.store import append_once
from hub.auth.clients import ClientError, ClientRecord
from hub.auth.documents import TrustedDocument
from hub.auth.issuers import IssuerConfigError
from hub.auth.principal import ClientLimits, OrganisationType
from hub.auth.scopes import SCOPES
from hub.auth.services import AuthServices
from hub.auth.tokens import IssuedToken, ScopeNotAllowed
from hub.config.settings import HubSettings

__all__ = ["clients", "documents", "keys", "register", "token"]

T = TypeVar("T")


def _run(data_dir: Path, action: Callable[[AuthServices], Awaitable[T]]) -> T:
    """Open access control on the hub's database, run `action`, close; errors become clean CLI errors."""

    async def with_services(settings: HubSettings, engine: AsyncEngine) -> T:
        services = AuthServices.from_settings(settings, engine)
        try:
            await services.open()
            return await action(services)
        finally:
            await services.aclose()

    caller_errors = (ClientError, ScopeNotAllowed, IssuerConfigError)
    return run_on_database(data_dir, with_services, caller_errors=caller_errors)[0]


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment is not None else "-"


@click.group()
def clients() -> None:
    """The OAuth clients that may ask the hub for tokens."""


@clients.command("add")
@click.argument("client_id")
@click.option("--org", "organisation", required=True, help="The organisation the client acts for.")
@click.option(
    "--org-type",
    "organisation_type",
    required=True,
    type=click.Choice([t.value for t in OrganisationType]),
    help="The kind of organisation: the sharing policy is set per kind.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(list(SCOPES)),
    help="A scope its tokens may carry (repeat for more).",
)
@click.option("--purpose", "purposes", multiple=True, help="A purpose it may state (repeat; none: any).")
@click.option("--description", default="", help="Free text for the operators.")
@click.option(
    "--rate-limit",
    default=None,
    help="Its rate limits, e.g. '20/second;1000/hour' (default: HUB_RATE_LIMIT). Shared by every replica "
    "where HUB_REDIS_URL is set.",
)
@click.option(
    "--max-cost",
    type=click.IntRange(min=1),
    default=None,
    help="The most one of its operations may cost (demand control; default: HUB_MAX_QUERY_COST).",
)
@click.option(
    "--trusted-documents-only",
    is_flag=True,
    help="It may run only documents registered for it (`hub documents add`), sent by hash.",
)
@data_dir_option
def clients_add(
    client_id: str,
    organisation: str,
    organisation_type: str,
    scopes: tuple[str, ...],
    purposes: tuple[str, ...],
    description: str,
    rate_limit: str | None,
    max_cost: int | None,
    trusted_documents_only: bool,
    data_dir: Path,
) -> None:
    """Add a client and print its secret (shown this once only) on stdout."""
    limits = ClientLimits(rate_limit, max_cost, trusted_documents_only)

    async def add(services: AuthServices) -> str:
        return await services.clients.add(
            client_id, organisation, organisation_type, scopes, purposes or None, description, limits=limits
        )

    secret = _run(data_dir, add)
    click.echo(
        f"Added client {client_id!r}. Its secret follows, shown this once only: store it now.", err=True
    )
    click.echo(secret)


@clients.command("list")
@data_dir_option
def clients_list(data_dir: Path) -> None:
    """List the clients."""

    async def fetch(services: AuthServices) -> list[ClientRecord]:
        return await services.clients.list()

    records = _run(data_dir, fetch)
    if not records:
        click.echo("No clients. `hub clients add` makes one; `hub demo clients` seeds the demo's.")
        return
    rows = [("CLIENT", "ORGANISATION", "TYPE", "SCOPES", "PURPOSES", "LIMITS", "REVOKED")]
    for r in records:
        purposes = ",".join(sorted(r.purposes)) if r.purposes is not None else "any"
        rows.append(
            (
                r.client_id,
                r.organisation,
                r.organisation_type.value,
                ",".join(sorted(r.scopes)),
                purposes,
                _limits(r.limits),
                _when(r.revoked_at),
            )
        )
    click.echo(_table(rows))


def _limits(limits: ClientLimits) -> str:
    shown = [
        *([f"rate={limits.rate_limit}"] if limits.rate_limit is not None else []),
        *([f"cost={limits.max_query_cost}"] if limits.max_query_cost is not None else []),
        *(["trusted-documents-only"] if limits.trusted_documents_only else []),
    ]
    return ",".join(shown) or "defaults"


@clients.command("set")
@click.argument("client_id")
@click.option(
    "--rate-limit",
    default=None,
    help="Its rate limits, e.g. '20/second;1000/hour'; 'default': none of its own.",
)
@click.option("--max-cost", default=None, help="Its cost budget per operation; 'default': none of its own.")
@click.option(
    "--trusted-documents-only/--any-documents",
    default=None,
    help="Whether it may run only documents registered for it.",
)
@data_dir_option
def clients_set(
    client_id: str,
    rate_limit: str | None,
    max_cost: str | None,
    trusted_documents_only: bool | None,
    data_dir: Path,
) -> None:
    """Change a client's limits (only those given); running hubs apply them within
    HUB_CLIENT_CACHE_SECONDS."""
    if max_cost not in (None, "default") and not (max_cost.isdigit() and int(max_cost) >= 1):
        raise click.BadParameter(
            f"{max_cost!r} is not a whole number of 1 or more, nor 'default'.", param_hint="--max-cost"
        )

    async def change(services: AuthServices) -> ClientRecord:
        now = (await services.clients.require(client_id)).limits
        limits = ClientLimits(
            now.rate_limit if rate_limit is None else (None if rate_limit == "default" else rate_limit),
            now.max_query_cost if max_cost is None else (None if max_cost == "default" else int(max_cost)),
            now.trusted_documents_only if trusted_documents_only is None else trusted_documents_only,
        )
        return await services.clients.set_limits(client_id, limits)

    record = _run(data_dir, change)
    click.echo(f"Client {client_id!r}: {_limits(record.limits)}.", err=True)


@clients.command("revoke")
@click.argument("client_id")
@data_dir_option
def clients_revoke(client_id: str, data_dir: Path) -> None:
    """Revoke a client: no new tokens, and its tokens are refused within HUB_CLIENT_CACHE_SECONDS."""

    async def revoke(services: AuthServices) -> None:
        await services.clients.revoke(client_id)

    _run(data_dir, revoke)
    click.echo(f"Revoked client {client_id!r}.", err=True)


@click.command()
@click.option("--client", "client_id", required=True, help="The client: one `hub clients add` made.")
@click.option("--scope", "scopes", multiple=True, help="Ask for only these of its scopes (repeat).")
@data_dir_option
def token(client_id: str, scopes: tuple[str, ...], data_dir: Path) -> None:
    """Print an access token for a client, and nothing else: `TOKEN=$(hub token --client investigator)`.

    No secret is needed: whoever can reach the hub's database can manage its clients anyway. The client must
    exist (this never makes one: `hub clients add` does, and `hub demo` seeds the demo's), and the minting is
    audited (outcome `token-issued`, with the operating-system user who asked and the token's `jti`).
    """

    async def issue(settings: HubSettings, engine: AsyncEngine) -> str:
        services = AuthServices.from_settings(settings, engine)
        try:
            await services.open()
            client, issued = await services.issue_for(client_id, scopes or None)
        finally:
            await services.aclose()
        await _audited(
            settings, engine, _minted(client, issued)
        )  # no token is printed unless this is written
        return issued.access_token

    caller_errors = (ClientError, ScopeNotAllowed, IssuerConfigError)
    click.echo(run_on_database(data_dir, issue, caller_errors=caller_errors, unusable=(AuditUnavailable,))[0])


def _minted(client: ClientRecord, issued: IssuedToken) -> AuditEvent:
    """The audit event of a token printed by `hub token`: who asked, for which client, which token."""
    expires_at = datetime.now(UTC) + timedelta(seconds=issued.expires_in)
    variables = {"jti": issued.jti, "expires_at": expires_at.isoformat()}
    return _operator_event(client, "hub token", "token-issued", variables, tuple(issued.scope.split()))


def _operator_event(
    client: ClientRecord,
    command: str,
    outcome: str,
    variables: dict[str, Any],
    scopes: tuple[str, ...] = (),
    document: str | None = None,
) -> AuditEvent:
    """The audit event of an operator's command on a client's rights (the operating-system user who ran it
    is the subject)."""
    return dataclasses.replace(
        AuditEvent.of_operator(command, outcome, variables),
        client_id=client.client_id,
        organisation=client.organisation,
        organisation_type=client.organisation_type.value,
        scopes=scopes,
        document=document,
    )


async def _audited(settings: HubSettings, engine: AsyncEngine, event: AuditEvent) -> None:
    """Write an operator's audit event; the command's effect is shown only once it is written."""
    await append_once(engine, event, settings.audit_write_timeout_seconds)


@click.group()
def keys() -> None:
    """The keys that sign the hub's access tokens."""


@keys.command("rotate")
@data_dir_option
@click.option(
    "--person-ids",
    is_flag=True,
    help="Rotate the key that signs person ids instead: ids signed by the old one stay readable for "
    "HUB_PERSON_ID_LIFETIME_DAYS.",
)
def keys_rotate(data_dir: Path, person_ids: bool) -> None:
    """Make a new signing key; the old one keeps validating until the tokens it signed expire."""

    async def rotate(services: AuthServices) -> str:
        if person_ids:
            return (await services.person_id_keys.rotate()).kid
        return (await services.keys.rotate()).kid

    kid = _run(data_dir, rotate)
    if person_ids:
        click.echo(
            f"New person-id key {kid}. Running hubs sign ids with it within HUB_PERSON_ID_KEY_CACHE_SECONDS; "
            "ids signed before stay readable for HUB_PERSON_ID_LIFETIME_DAYS.",
            err=True,
        )
    else:
        click.echo(
            f"New signing key {kid}. Running hubs sign with it within HUB_SIGNING_KEY_CACHE_SECONDS.",
            err=True,
        )
    click.echo(kid)


@keys.command("list")
@data_dir_option
def keys_list(data_dir: Path) -> None:
    """List the signing keys and what each is used for now."""

    async def fetch(services: AuthServices) -> list[tuple[str, ...]]:
        now = datetime.now(UTC)
        rows: list[tuple[str, ...]] = []
        signing = (await services.keys.signing_key()).kid
        for key in await services.keys.list():
            until = services.keys.published_until(key)
            if key.kid == signing:
                state = "signing"
            elif until is None:
                state = "validating"
            elif until > now:
                state = f"validating until {_when(until)}"
            else:
                state = "expired"
            rows.append((key.kid, key.algorithm, _when(key.created_at), _when(key.retired_at), state))
        return rows

    rows = _run(data_dir, fetch)
    click.echo(_table([("KID", "ALG", "CREATED", "RETIRED", "STATE"), *rows]))


@click.group()
def documents() -> None:
    """Trusted documents: the GraphQL documents a client may run by id (`docs/trusted-documents.md`)."""


def _on_documents(
    data_dir: Path, action: Callable[[HubSettings, AsyncEngine, AuthServices], Awaitable[T]]
) -> T:
    async def with_services(settings: HubSettings, engine: AsyncEngine) -> T:
        services = AuthServices.from_settings(settings, engine)
        return await action(settings, engine, services)

    return run_on_database(
        data_dir, with_services, caller_errors=(ClientError, IssuerConfigError), unusable=(AuditUnavailable,)
    )[0]


@documents.command("add")
@click.option("--client", "client_id", required=True, help="The client that may run it.")
@click.option("--name", default=None, help="A name for the operators (default: the file's name).")
@click.argument("document_file", type=click.File("r"))
@data_dir_option
def documents_add(client_id: str, name: str | None, document_file: TextIO, data_dir: Path) -> None:
    """Register a document (a file, or - for stdin) for a client; print its id (`sha256:...`).

    The document must validate against the hub's schema; its operations and, where HUB_PARTNERS_FILE is set,
    their estimated cost are shown. Registering the same text again changes nothing.
    """
    text = document_file.read()
    label: str = name or str(getattr(document_file, "name", "document"))
    operations = _validated(text, label)

    async def add(settings: HubSettings, engine: AsyncEngine, services: AuthServices) -> str:
        client = await services.clients.require(client_id)
        record = await services.documents.add(client_id, text, label)
        variables = {"document_id": record.document_id, "name": record.name}
        await _audited(
            settings,
            engine,
            _operator_event(client, "hub documents add", "document-added", variables, document=text),
        )
        return record.document_id

    document_id = _on_documents(data_dir, add)
    click.echo(f"Registered for {client_id!r}: {label} ({', '.join(operations)}).", err=True)
    for line in _costs(text, operations, data_dir):
        click.echo(line, err=True)
    click.echo(document_id)


def _validated(text: str, label: str) -> list[str]:
    """The names of the document's operations, if it validates against the schema (else a clean error)."""
    from graphql import GraphQLSyntaxError, OperationDefinitionNode, parse, validate

    from hub.schema import create_schema

    try:
        document = parse(text)
    except GraphQLSyntaxError as exc:
        raise click.ClickException(f"{label} is not GraphQL: {exc.message}") from None
    errors = validate(create_schema()._schema, document)
    if errors:
        listed = "\n  - ".join(e.message for e in errors)
        raise click.ClickException(f"{label} does not validate against the schema:\n  - {listed}")
    return [
        d.name.value if d.name else "(anonymous)"
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]


def _costs(text: str, operations: list[str], data_dir: Path) -> list[str]:
    """Each operation's estimated cost against the configured partners, without variables (demand control)."""
    from graphql import parse

    from hub.config.partners_file import PartnersFileError, load_partners
    from hub.federation.partner_set import PartnerSet
    from hub.schema import create_schema
    from hub.schema.cost import CostModel, estimate

    settings = settings_for(data_dir)
    if settings.partners_file is None:
        return ["(No HUB_PARTNERS_FILE: its cost is estimated when it runs.)"]
    try:
        partners = PartnerSet(load_partners(settings.partners_file))
    except (PartnersFileError, ValueError, OSError) as exc:
        return [f"(The partners file cannot be read, so no cost is estimated: {str(exc)[:200]})"]
    model = CostModel.of(partners, settings)
    schema = create_schema()._schema
    document = parse(text)
    lines = []
    for operation in operations:
        cost = estimate(schema, document, None if operation == "(anonymous)" else operation, {}, model)
        over = " (over HUB_MAX_QUERY_COST)" if cost.total > settings.max_query_cost else ""
        lines.append(f"  {operation}: cost {cost.total}, {cost.partner_calls} partner calls{over}")
    return lines


@documents.command("list")
@click.option("--client", "client_id", default=None, help="Only this client's documents.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with each document's text).")
@data_dir_option
def documents_list(client_id: str | None, as_json: bool, data_dir: Path) -> None:
    """List the registered documents."""

    async def fetch(
        settings: HubSettings, engine: AsyncEngine, services: AuthServices
    ) -> list[TrustedDocument]:
        return await services.documents.list(client_id)

    records = _on_documents(data_dir, fetch)
    if as_json:
        click.echo(json.dumps([
            {"client": r.client_id, "documentId": r.document_id, "name": r.name, "document": r.document,
             "createdAt": r.created_at.isoformat()}
            for r in records
        ], indent=2))  # fmt: skip
        return
    if not records:
        click.echo("No documents registered." + (f" for {client_id!r}" if client_id else ""))
        return
    rows = [("CLIENT", "DOCUMENT ID", "NAME", "REGISTERED")]
    rows += [(r.client_id, r.document_id, r.name, _when(r.created_at)) for r in records]
    click.echo(_table(rows))


@documents.command("remove")
@click.option("--client", "client_id", required=True, help="The client it is registered for.")
@click.argument("document_id")
@data_dir_option
def documents_remove(client_id: str, document_id: str, data_dir: Path) -> None:
    """Unregister a document: running hubs refuse it within HUB_CLIENT_CACHE_SECONDS."""

    async def remove(settings: HubSettings, engine: AsyncEngine, services: AuthServices) -> None:
        client = await services.clients.require(client_id)
        await services.documents.remove(client_id, document_id)
        variables = {"document_id": document_id}
        await _audited(
            settings, engine, _operator_event(client, "hub documents remove", "document-removed", variables)
        )

    _on_documents(data_dir, remove)
    click.echo(f"Removed {document_id} from {client_id!r}.", err=True)


def register(cli: click.Group) -> None:
    """Add `clients`, `token`, `keys` and `documents` to the `hub` command group."""
    for command in (clients, token, keys, documents):
        cli.add_command(command)
