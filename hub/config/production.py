"""Production settings (`HUB_ENV=production`): the demo's conveniences are refused unless an operator names
them in HUB_PRODUCTION_EXCEPTIONS.

    graphiql        GraphiQL served (HUB_GRAPHIQL)
    introspection   the schema open to every caller (HUB_INTROSPECTION_REQUIRES_SCOPE=false)
    get-queries     queries in URLs (HUB_ALLOW_GET_QUERIES), which proxies and access logs keep
    sqlite          the hub's own database on SQLite (no HUB_DATABASE_URL): one machine, no replicas
    http-issuer     an issuer (the hub's, or a trusted one's keys) over plain http://
    demo-clients    the demo's clients (investigator, frontline, ...) in the hub's database: their tokens are
                    printed by `hub token` to whoever can reach the database, and their names are public

Each is reported with the others by `hub serve` before it listens (`hub.config.check`); the demo clients,
which only the database can tell, when the hub starts (`demo_clients_present`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.tables import oauth_client
from hub.config.settings import PRODUCTION_CONVENIENCES as CONVENIENCES
from hub.config.settings import HubSettings

__all__ = [
    "CONVENIENCES",
    "DEMO_CLIENT_IDS",
    "ProductionRefused",
    "demo_clients_present",
    "production_problems",
]


class ProductionRefused(RuntimeError):
    """A production hub will not start like this; the message lists why and what would allow it."""


#: The ids the demo gives its clients (`connectors.demo.clients`; a test keeps the two lists equal).
DEMO_CLIENT_IDS = ("investigator", "frontline", "child-protection", "auditor", "developer")


def _allowed(settings: HubSettings, convenience: str) -> bool:
    return settings.env != "production" or convenience in settings.production_exceptions


def production_problems(settings: HubSettings) -> list[str]:
    """What the settings allow that production refuses (empty outside production)."""
    found = {
        "graphiql": settings.graphiql,
        "introspection": not settings.introspection_requires_scope,
        "get-queries": settings.allow_get_queries,
        "sqlite": settings.effective_database_url.startswith("sqlite"),
        "http-issuer": settings.token_issuer.startswith("http://"),
    }
    return [
        f"HUB_ENV=production: {CONVENIENCES[name]}; add '{name}' to HUB_PRODUCTION_EXCEPTIONS to allow it"
        for name, present in found.items()
        if present and not _allowed(settings, name)
    ]


async def demo_clients_present(settings: HubSettings, engine: AsyncEngine) -> str | None:
    """Why a production hub must not start with this database, if the demo's clients are active in it."""
    if _allowed(settings, "demo-clients"):
        return None
    query = select(oauth_client.c.client_id).where(
        oauth_client.c.client_id.in_(DEMO_CLIENT_IDS), oauth_client.c.revoked_at.is_(None)
    )
    async with engine.connect() as conn:
        present = sorted((await conn.execute(query)).scalars())
    if not present:
        return None
    return (
        f"HUB_ENV=production: {CONVENIENCES['demo-clients']}: {', '.join(present)}; "
        "add 'demo-clients' to HUB_PRODUCTION_EXCEPTIONS to allow them"
    )
