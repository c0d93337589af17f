"""`hub webhooks`: a client's webhook endpoint, and the deliveries that could not be made.

    hub webhooks set CLIENT --url URL      point the client's webhook at URL; prints its new secret, once
    hub webhooks dead-letters [--client C] [--json]
    hub webhooks replay DELIVERY_ID        send a dead-lettered delivery again

Each change is recorded in the audit trail before it takes effect is shown (the operating-system user as
subject), like the hub's other operator commands.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import click
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from hub._cli import data_dir_option, run_on_database
from hub.audit.events import AuditEvent
from hub.audit.store import append_once
from hub.auth.clients import ClientStore, UnknownClient
from hub.config.settings import HubSettings
from hub.watches.webhooks import Webhooks

__all__ = ["webhooks"]


async def _audited(
    settings: HubSettings, engine: AsyncEngine, command: str, client_id: str, variables: dict[str, Any]
) -> None:
    event = dataclasses.replace(
        AuditEvent.of_operator(command, "webhook-changed", variables), client_id=client_id
    )
    await append_once(engine, event, settings.audit_write_timeout_seconds)


@click.group()
def webhooks() -> None:
    """Clients' webhooks: where their fired watches are POSTed, and the deliveries that failed."""


@webhooks.command("set")
@click.argument("client_id")
@click.option("--url", required=True, help="The client's endpoint (https://; http:// for loopback only).")
@data_dir_option
def webhooks_set(client_id: str, url: str, data_dir: Path) -> None:
    """Point CLIENT's webhook at URL, with a new signing secret (printed once: give it to the client)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise click.ClickException(f"{url!r} is not a URL.") from None
    if parsed.scheme != "https" and not (
        parsed.scheme == "http" and parsed.host in ("127.0.0.1", "localhost")
    ):
        raise click.ClickException("A webhook URL must be https:// (http:// only on loopback, for tests).")

    async def action(settings: HubSettings, engine: AsyncEngine) -> str:
        await ClientStore(engine).require(client_id)
        await _audited(settings, engine, "hub webhooks set", client_id, {"url": url})
        return await Webhooks(engine).set_endpoint(client_id, url)

    secret, _ = run_on_database(data_dir, action, caller_errors=(UnknownClient,))
    click.echo(f"Webhook of {client_id}: {url}\nSigning secret (shown once; Standard Webhooks):\n{secret}")


@webhooks.command("dead-letters")
@click.option("--client", "client_id", help="One client's only.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@data_dir_option
def webhooks_dead(client_id: str | None, as_json: bool, data_dir: Path) -> None:
    """Deliveries that failed every attempt, oldest first (their payload is not shown: personal data)."""

    async def action(settings: HubSettings, engine: AsyncEngine) -> list[Any]:
        return await Webhooks(engine).dead(client_id)

    dead, _ = run_on_database(data_dir, action)
    rows = [
        {"id": d.delivery_id, "client": d.client_id, "attempts": d.attempts, "error": d.last_error,
         "created": d.created_at.isoformat()}
        for d in dead
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']}  {row['client']}  {row['attempts']} attempts  {row['created']}  {row['error']}"
        )
    if not rows:
        click.echo("No dead letters.", err=True)


@webhooks.command("replay")
@click.argument("delivery_id")
@data_dir_option
def webhooks_replay(delivery_id: str, data_dir: Path) -> None:
    """Send a dead-lettered delivery again, from its first attempt."""

    async def action(settings: HubSettings, engine: AsyncEngine) -> bool:
        store = Webhooks(engine)
        found = await store.get(delivery_id)
        if found is None or found.status != "dead":
            return False
        await _audited(settings, engine, "hub webhooks replay", found.client_id, {"deliveryId": delivery_id})
        return await store.replay(delivery_id)

    replayed, _ = run_on_database(data_dir, action)
    if not replayed:
        raise click.ClickException(
            f"No dead-lettered delivery {delivery_id!r}: `hub webhooks dead-letters` lists them."
        )
    click.echo(f"Delivery {delivery_id} is queued again.")
