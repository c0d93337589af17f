"""The HTTP application: Starlette routes, the GraphQL endpoint, and the partners' lifecycle.

`/healthz` says whether this process is up (partners' connectors open, audit database answering);
`/readyz` whether it can serve an answer now: its database answers and at least one partner's circuit breaker
is not open (with every breaker open, any answer would be empty). Neither needs a token; neither shows
personal data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from connectors.contract import PartnerConfig
from hub.access.policy import SharingPolicy
from hub.audit.store import AuditStore
from hub.auth.services import AuthServices
from hub.config.partners_file import load_partners
from hub.config.production import ProductionRefused, demo_clients_present, production_problems
from hub.config.settings import HubSettings
from hub.db import create_engine, prepare_database
from hub.errors import RATE_LIMITS_UNAVAILABLE, RequestRefused
from hub.federation.breaker import BreakerState
from hub.federation.ids import PersonIds
from hub.federation.partner_set import PartnerSet
from hub.federation.shared_breakers import SharedBreakers
from hub.http.audit_gate import AuditRecorder, AuditStatus
from hub.http.authentication import BearerAuth
from hub.http.body_limit import BodyLimit
from hub.http.endpoint import GraphQLEndpoint
from hub.http.graphiql import graphiql_routes
from hub.http.logs import quiet_partner_urls
from hub.http.metrics_route import metrics_route
from hub.http.rate_limits import RateLimits, client_address
from hub.http.subscriptions import SubscriptionEndpoint
from hub.schema import create_schema
from hub.tracing import configure_tracing
from hub.watches.fanout import Relay, broker_for
from hub.watches.poller import Poller
from hub.watches.store import WatchStore
from hub.watches.webhooks import Webhooks, WebhookSender

__all__ = ["create_app"]


def create_app(
    settings: HubSettings | None = None, partners: Sequence[PartnerConfig] | None = None
) -> Starlette:
    """The hub as an ASGI app. Partners come from `partners`, else from `settings.partners_file`."""
    settings = settings or HubSettings()
    quiet_partner_urls()
    configure_tracing()
    if partners is None:
        if settings.partners_file is None:
            raise ValueError("No partners: set HUB_PARTNERS_FILE (or pass --partners) to a partners file.")
        partners = load_partners(
            settings.partners_file,
            settings.partner_timeout,
            settings.partner_max_batch_size,
            settings.partner_defaults(),
        )
    redis, timeout = settings.redis_url, settings.redis_timeout_seconds
    shared = SharedBreakers(redis, timeout) if redis is not None else None
    partner_set = PartnerSet(partners, shared)
    engine = create_engine(settings.effective_database_url)
    auth = AuthServices.from_settings(settings, engine)
    audit = AuditStore(
        engine,
        write_timeout=settings.audit_write_timeout_seconds,
        read_timeout=settings.audit_read_timeout_seconds,
    )
    audit_status = AuditStatus()
    ready = False

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        nonlocal ready
        try:  # whatever stops the start, what was opened is closed
            await prepare_database(engine, migrate=settings.auto_migrate)
            refused = production_problems(settings)
            demo = await demo_clients_present(settings, engine)
            if refused or demo:
                raise ProductionRefused("\n".join([*refused, *([demo] if demo else [])]))
            await auth.open()
            polling: asyncio.Future[Any] | None = None
            # Other replicas' notifications, for this replica's subscriptions (HUB_WATCH_FANOUT).
            listening = asyncio.create_task(broker.listen()) if isinstance(broker, Relay) else None
            try:
                await partner_set.open()
                intervals = [poller.interval_of(name) for name in poller.feeds()]
                # HUB_WATCH_POLL_SECONDS=0: no polling on this replica, whatever the partners' intervals.
                if settings.watch_poll_seconds > 0 and any(interval > 0 for interval in intervals):
                    every = min(interval for interval in intervals if interval > 0)
                    polling = asyncio.gather(poller.run(), sender.run(every), return_exceptions=True)
                ready = True
                yield
            finally:
                ready = False
                for task in (polling, listening):
                    if task is not None:
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
                if isinstance(broker, Relay):
                    await broker.aclose()
                await partner_set.aclose()
        finally:
            await auth.aclose()
            await audit.aclose()
            await rate_limits.aclose()
            await engine.dispose()

    async def healthz(request: Request) -> Response:
        audit_ok = await _database_answers(engine)
        healthy = ready and audit_ok
        body = {
            "status": "ok" if healthy else ("starting" if not ready else "unavailable"),
            "audit": "ok" if audit_ok else "unavailable: no data can be released until it returns",
            # Whether, not why: the reason (a database host, a driver's message) is for the hub's log only.
            "lastAuditWrite": "ok" if audit_status.ok else "failed",
            "partners": [c.name for c in partner_set],
        }
        return JSONResponse(body, status_code=200 if healthy else 503)

    async def readyz(request: Request) -> Response:
        database_ok = await _database_answers(engine)
        breakers = partner_set.breaker_states()
        reachable = any(state is not BreakerState.OPEN for state in breakers.values())
        # Without Redis the hub refuses every request (failing closed): it is not ready to serve.
        counting = settings.redis_url is None or await rate_limits.ready()
        serving = ready and database_ok and reachable and (counting or settings.rate_limit_fail_open)
        body = {
            "status": "ready" if serving else ("starting" if not ready else "unavailable"),
            "database": "ok" if database_ok else "unavailable",
            "partners": [{"name": name, "breaker": state.value} for name, state in breakers.items()],
        }
        if settings.redis_url is not None:
            body["redis"] = "ok" if counting else "unavailable"
        if isinstance(broker, Relay):  # other replicas' notifications: subscriptions only, not readiness
            body["notifications"] = "ok" if broker.listening else "unavailable"
        return JSONResponse(body, status_code=200 if serving else 503)

    watches = WatchStore(engine, settings.watch_max_per_client)
    broker = broker_for(settings, engine)
    policy = SharingPolicy.from_mapping(settings.sharing_policy)
    webhooks = Webhooks(engine)
    sender = WebhookSender(
        webhooks,
        settings.webhook_timeout_seconds,
        settings.webhook_retry_seconds,
        settings.webhook_max_attempts,
    )
    person_ids = PersonIds(auth.person_id_keys)
    poller = Poller(
        partner_set, watches, audit, auth.clients, policy, broker, webhooks=webhooks, person_ids=person_ids
    )
    schema = create_schema(settings)
    rate_limits = RateLimits(settings)
    graphql = GraphQLEndpoint(
        schema,
        settings,
        partner_set,
        audit,
        policy,
        person_ids,
        rate_limits,
        auth.documents,
        watches,
    )
    subscriptions = SubscriptionEndpoint(
        schema, settings, partner_set, auth.validator, auth.clients, policy, person_ids, broker, audit
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            # Every method reaches the endpoint, which refuses the ones it does not take (audited).
            Route("/graphql", graphql),
            # Subscriptions (graphql-transport-ws), authenticated in connection_init: hub.http.subscriptions.
            WebSocketRoute("/graphql", subscriptions),
            *(_counted(route, rate_limits) for route in auth.routes()),
            *([metrics_route(settings.metrics_token, partner_set)] if settings.metrics_token else []),
            *(graphiql_routes() if settings.graphiql else []),
        ],
        # The recorder is outermost, so requests refused by authentication are audited too.
        middleware=[
            Middleware(
                AuditRecorder,
                store=audit,
                status=audit_status,
                max_document=settings.max_request_bytes,
                max_anonymous_document=settings.max_anonymous_query_bytes,
            ),
            Middleware(BodyLimit, max_bytes=settings.max_request_bytes),
            Middleware(BearerAuth, validator=auth.validator),
        ],
        lifespan=lifespan,
    )
    app.state.auth = auth
    app.state.audit = audit
    app.state.audit_status = audit_status
    app.state.settings = settings
    app.state.schema = schema
    app.state.person_ids = person_ids
    app.state.partners = partner_set
    app.state.rate_limits = rate_limits
    app.state.watches, app.state.broker, app.state.poller = watches, broker, poller
    app.state.webhooks, app.state.webhook_sender = webhooks, sender
    return app


def _counted(route: Route, rate_limits: RateLimits) -> Route:
    """The token endpoint's route, its requests counted against HUB_TOKEN_RATE_LIMIT per address first (an
    OAuth-style 429 over it); the other authorization-server routes as they are."""
    if route.name != "oauth_token":
        return route
    endpoint = route.endpoint

    async def counted(request: Request) -> Response:
        try:
            await rate_limits.hit_token_request(client_address(request))
        except RequestRefused as refused:
            error = "temporarily_unavailable" if refused.code is RATE_LIMITS_UNAVAILABLE else "rate_limited"
            body = {"error": error, "error_description": refused.message}
            headers = {"Cache-Control": "no-store", **refused.headers}
            return JSONResponse(body, status_code=refused.code.status, headers=headers)
        response: Response = await endpoint(request)
        return response

    return Route(route.path, counted, methods=["POST"], name=route.name)


async def _database_answers(engine: AsyncEngine, timeout: float = 1.0) -> bool:
    """Whether the hub's database (the audit trail) answers now."""
    try:
        async with asyncio.timeout(timeout), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:  # any failure means the same thing here: no audited disclosure is possible
        return False
    return True
