"""`hub demo`: the embedded demo's commands (run everything, serve one partner, generate the records).

Loaded only when `hub demo` is invoked (`hub.cli` names it lazily): the production commands, `hub serve`
above all, never import the demo.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
import uvicorn

from connectors.demo.clients import DEMO_CLIENTS, seed_demo_clients
from connectors.demo.embedded import FaultPlan
from connectors.demo.instrument import FAULT_KINDS, MODES, FaultError, Faults
from hub._cli import data_dir_option, run_on_database

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from hub.config.settings import HubSettings

__all__ = ["demo"]


def _fault_plan(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> FaultPlan:
    try:
        return FaultPlan.parse(values)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def _partner_faults(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Faults:
    try:
        return Faults.from_specs(values)
    except FaultError as exc:
        raise click.BadParameter(f"{exc}. See docs/demo-faults.md.", ctx, param) from None


@click.group(invoke_without_command=True)
@click.option(
    "--people",
    default=3000,
    show_default=True,
    type=click.IntRange(1, 5_000_000),
    help="People per force in the synthetic records.",
)
@click.option("--seed", default=2026, show_default=True, help="Seed of the synthetic records.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface the hub listens on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port the hub listens on (0: any free port). Partners take free ports.",
)
@click.option(
    "--data-dir",
    default=Path(".hub"),
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the demo keeps its databases and partners file.",
)
@click.option("--regenerate", is_flag=True, help="Generate the records again even if they are there.")
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="PARTNER=KIND",
    callback=_fault_plan,
    help="Switch a fault on in a demo partner (repeatable), e.g. eastvale=hang, southmoor=latency:2000, "
    "southmoor=error:0.3, northshire=refused. Kinds: "
    + ", ".join(FAULT_KINDS)
    + ". See docs/demo-faults.md.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    people: int,
    seed: int,
    host: str,
    port: int,
    data_dir: Path,
    regenerate: bool,
    faults: FaultPlan,
) -> None:
    """Run three demo partner forces and the hub on this machine (SQLite; nothing else to install)."""
    if ctx.invoked_subcommand is not None:
        return
    from connectors.demo import embedded as d

    # SIGTERM stops the demo as Ctrl-C does: uvicorn shuts down gracefully, then the partners are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    urls = asyncio.run(d.ensure_data(data_dir, people, seed, regenerate, lambda m: click.echo(m, err=True)))
    partners = d.DemoPartners(urls)
    try:
        endpoints = partners.start()
        hub_urls, hub_endpoints, notes = partners.apply(faults)
        partners_file = data_dir / "partners.toml"
        partners_file.write_text(d.partners_toml(hub_urls, hub_endpoints), encoding="utf-8")
        asyncio.run(_serve_demo(partners_file, data_dir, host, port, endpoints, notes))
    except KeyboardInterrupt:
        pass
    finally:
        partners.stop()
        click.echo("Demo stopped.", err=True)


async def _serve_demo(
    partners_file: Path,
    data_dir: Path,
    host: str,
    port: int,
    endpoints: dict[str, str],
    notes: list[str],
) -> None:
    from connectors.demo import embedded as d
    from hub.config.settings import HubSettings
    from hub.http.app import create_app

    # The demo is for developers: GraphiQL on (a production hub leaves it off).
    app = create_app(HubSettings(partners_file=partners_file, data_dir=data_dir, graphiql=True))
    from connectors.demo.web import demo_routes

    # The demo's landing page and GraphiQL's role picker (`connectors.demo.web`): never in `hub serve`.
    metrics_on = app.state.settings.metrics_token is not None
    app.router.routes[:0] = demo_routes(app.state.auth.token_for, metrics_on)
    # A client that holds a request open must not keep Ctrl-C from stopping the demo.
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
            raise click.ClickException(f"The hub could not start on {host}:{port}.")
        await asyncio.sleep(0.05)
    bound = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://{host}:{bound}"
    auth = app.state.auth
    await seed_demo_clients(auth.clients)
    tokens = {c.client_id: await auth.token_for(c.client_id) for c in DEMO_CLIENTS}
    listing = "\n".join(
        f"  {c.client_id:17} {c.description}\n    {tokens[c.client_id]}" for c in DEMO_CLIENTS
    )
    headers = d.graphiql_headers(tokens["investigator"])
    click.echo(
        f"\nThe hub is ready: GraphiQL at {url}/graphql  (health: {url}/healthz)\n"
        f"Start page, with every link and each demo client's token: {url}/\n"
        f"Partners: northshire (sql) {data_dir / 'northshire.db'}, "
        f"southmoor (rest) {endpoints['southmoor']}, eastvale (graphql) {endpoints['eastvale']}/graphql\n"
        + (f"Faults switched on (docs/demo-faults.md):\n{chr(10).join(notes)}\n" if notes else "")
        + "\n"
        f"Access tokens for the demo clients (valid {app.state.settings.token_ttl_seconds // 60} minutes; "
        f"`hub token --client NAME --data-dir {data_dir}` prints a fresh one):\n{listing}\n\n"
        f"In GraphiQL, paste into the Headers tab:\n{headers}\n\n"
        f"and try this query:\n\n{d.EXAMPLE_QUERY}\n\nCtrl-C stops everything.",
        err=False,
    )
    sys.stdout.flush()
    await task


@demo.command("partner")
@click.argument("kind", type=click.Choice(["rest", "graphql"]))
@click.option("--database", required=True, help="SQLAlchemy async URL of the partner's own database.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, type=click.IntRange(0, 65535), show_default=True)
@click.option(
    "--client-secret",
    envvar="DEMO_PARTNER_CLIENT_SECRET",
    default=None,
    help="REST partner: the secret of OAuth client 'hub'. Env: DEMO_PARTNER_CLIENT_SECRET.",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="KIND",
    envvar="DEMO_PARTNER_FAULTS",
    callback=_partner_faults,
    help="Start with a fault switched on (repeatable): latency:MS, latency:LOW-HIGH, or one of "
    + ", ".join(MODES)
    + " with an optional :RATE. PUT /_demo/faults changes it later. Env: DEMO_PARTNER_FAULTS.",
)
def demo_partner(
    kind: str, database: str, host: str, port: int, client_secret: str | None, faults: Faults
) -> None:
    """Serve one demo partner system (used by `hub demo` and docker-compose)."""
    from connectors.demo.embedded import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    if kind == "rest":
        from connectors.demo.rest_partner import create_app as rest_app

        clients = {DEMO_CLIENT_ID: client_secret or DEMO_CLIENT_SECRET}
        app = rest_app(database, clients=clients, faults=faults)
    else:
        from connectors.demo.graphql_partner import create_app as graphql_app

        app = graphql_app(database, faults=faults)
    # A request held by the `hang` fault ends only when its client leaves: do not wait for it for ever.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5)


@demo.command("generate")
@click.option("--people", default=3000, show_default=True, type=click.IntRange(1, 5_000_000))
@click.option("--seed", default=2026, show_default=True)
@click.option(
    "--data-dir", default=Path(".hub"), show_default=True, type=click.Path(file_okay=False, path_type=Path)
)
def demo_generate(people: int, seed: int, data_dir: Path) -> None:
    """Generate the demo forces' records (SQLite files in the data directory) and exit."""
    from connectors.demo.embedded import ensure_data

    asyncio.run(ensure_data(data_dir, people, seed, True, lambda m: click.echo(m, err=True)))


@demo.command("clients")
@data_dir_option
def demo_clients(data_dir: Path) -> None:
    """Add the demo clients (investigator, frontline, child-protection, auditor, developer) that are not
    in the hub's database yet, and print each new one's secret: `hub demo` does this when it starts."""
    from hub.auth.clients import ClientStore

    async def seed(settings: HubSettings, engine: AsyncEngine) -> dict[str, str]:
        return await seed_demo_clients(ClientStore(engine))

    made, where = run_on_database(data_dir, seed)
    for client_id, secret in made.items():
        click.echo(f"{client_id} {secret}")
    click.echo(
        f"Demo clients in {where}: {len(made)} added"
        + (" (their secrets above, shown this once only)" if made else ", all there already")
        + ". `hub token --client NAME` prints a token for one.",
        err=True,
    )


@demo.command("stack")
@click.option(
    "--database-url",
    envvar="HUB_DATABASE_URL",
    default="postgresql://127.0.0.1:5432/test",
    show_default=True,
    help="The hub's database, shared by the replicas (PostgreSQL). Env: HUB_DATABASE_URL.",
)
@click.option(
    "--redis-url",
    envvar="HUB_REDIS_URL",
    default="redis://127.0.0.1:6379/0",
    show_default=True,
    help="The Redis the replicas share (rate limits, breakers). Env: HUB_REDIS_URL.",
)
@click.option("--replicas", default=2, show_default=True, type=click.IntRange(1, 16), help="Hub processes.")
@click.option("--people", default=300, show_default=True, type=click.IntRange(1, 1_000_000))
@data_dir_option
def demo_stack(database_url: str, redis_url: str, replicas: int, people: int, data_dir: Path) -> None:
    """The compose stack without Docker: REPLICAS hub processes on one PostgreSQL and one Redis, in front of
    the demo partners, until Ctrl-C."""
    from connectors.demo.stack import Stack

    click.echo(
        f"Starting {replicas} hub replicas on {database_url.split('@')[-1]} and {redis_url} ...", err=True
    )
    try:
        stack = Stack(data_dir, database_url, redis_url, replicas=replicas, people=people).start()
    except (RuntimeError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # a failed `hub db upgrade` or `hub demo clients`, with its own message
        raise click.ClickException(
            f"The stack could not start: {getattr(exc, 'stderr', None) or exc}"
        ) from None
    with stack:
        listing = "\n".join(f"  replica {i + 1}: {url}/graphql" for i, url in enumerate(stack.urls))
        click.echo(
            f"The stack is ready:\n{listing}\n"
            f"Any replica takes any request: `hub token --client investigator --data-dir {data_dir}` "
            "(with HUB_DATABASE_URL set) prints a token all of them accept.\nCtrl-C stops everything."
        )
        # Blocked only now, so that the processes started above keep their own signals.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
        click.echo("Stopping the stack.", err=True)


@demo.command("arrest")
@click.option(
    "--person", required=True, help='Who Eastvale arrests: "Forenames Surname", e.g. "Darren Kilbride".'
)
@click.option("--reason", default="Wanted on warrant", show_default=True, help="The arrest's reason.")
@click.option(
    "--as-new",
    "as_new",
    metavar="NAME",
    help='Eastvale does not find him and makes a new subject record under NAME (e.g. "Daren Kilbride"), with '
    "his date of birth and sex and no PNC number, as a custody suite does: a watch on him is told of it by "
    "entity resolution.",
)
@data_dir_option
def demo_arrest(person: str, reason: str, as_new: str | None, data_dir: Path) -> None:
    """Make the running demo's Eastvale arrest someone now (its custody system records it, and its change
    feed shows it): what a watch on that person is then told (docs/notifications.md)."""
    import tomllib

    import httpx

    partners_file = data_dir / "partners.toml"
    try:
        partners = tomllib.loads(partners_file.read_text(encoding="utf-8"))["partners"]
        endpoint = next(p["connection"]["url"] for p in partners if p["name"] == "eastvale")
    except (OSError, KeyError, StopIteration, tomllib.TOMLDecodeError):
        raise click.ClickException(
            f"No running demo's Eastvale in {partners_file}: start `hub demo` first."
        ) from None
    forenames, _, surname = person.strip().rpartition(" ")
    query = "query($s: String) { findSubjects(surname: $s, limit: 50) { ref forenames surname born sex } }"
    try:
        found = httpx.post(endpoint, json={"query": query, "variables": {"s": surname}}, timeout=10).json()
        subjects = [
            s
            for s in found["data"]["findSubjects"]
            if not forenames or (s["forenames"] or "").lower().startswith(forenames.lower())
        ]
        if not subjects:
            raise click.ClickException(f"Eastvale holds no {person!r}.")
        body: dict[str, object] = {"reason": reason, "offences": [{"code": "W1", "wording": reason}]}
        if as_new:
            new_forenames, _, new_surname = as_new.strip().rpartition(" ")
            sex = {"MALE": "M", "FEMALE": "F"}.get(subjects[0]["sex"] or "")
            body["subject"] = {
                "surname": new_surname,
                "forenames": new_forenames or None,
                "dateOfBirth": subjects[0]["born"],
                "sex": sex,
            }
        else:
            body["subjectRef"] = subjects[0]["ref"]
        base = endpoint.rsplit("/graphql", 1)[0]
        made = httpx.post(f"{base}/_demo/arrests", json=body, timeout=10)
    except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
        raise click.ClickException(f"Eastvale at {endpoint} did not answer as expected: {exc}") from None
    if made.status_code != 201:
        raise click.ClickException(f"Eastvale refused the arrest: {made.text[:200]}")
    answer = made.json()
    if as_new:
        click.echo(
            f"Eastvale arrested {person} as a new subject, {as_new} ({answer['subjectRef']}): custody record "
            f"{answer['ref']}."
        )
    else:
        click.echo(f"Eastvale arrested {person} ({answer['subjectRef']}): custody record {answer['ref']}.")
