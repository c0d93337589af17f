"""Helpers the tests share: running demo partners, partner configurations, and the hub in process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.contract import PartnerConfig
from connectors.demo import graphql_partner, rest_partner
from connectors.demo.serve import ServerThread
from hub.app import create_app
from hub.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from hub.settings import HubSettings


@dataclass
class Partner:
    """A running demo partner server: its app (request log, faults) and its URL."""

    server: ServerThread
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def log(self) -> Any:
        return self.app.state.log

    @property
    def faults(self) -> Any:
        return self.app.state.faults

    def kinds(self) -> list[str]:
        return [e["kind"] for e in self.log.snapshot()]


def start_rest(url: str) -> Partner:
    app = rest_partner.create_app(url, clients={DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    return Partner(ServerThread(app).start(), app)


def start_graphql(url: str) -> Partner:
    app = graphql_partner.create_app(url)
    return Partner(ServerThread(app).start(), app)


def partner_configs(
    demo_urls: dict[str, str], southmoor_url: str, eastvale_url: str, timeout: float = 5.0
) -> list[PartnerConfig]:
    return [
        PartnerConfig(
            "northshire", "sql", "Northshire Police", timeout, connection={"url": demo_urls["northshire"]}
        ),
        PartnerConfig(
            "southmoor",
            "rest",
            "Southmoor Constabulary",
            timeout,
            connection={
                "base_url": southmoor_url,
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
            },
        ),
        PartnerConfig(
            "eastvale", "graphql", "Eastvale Police", timeout, connection={"url": eastvale_url + "/graphql"}
        ),
    ]


class HubClient:
    """The hub app in process (its lifespan run), spoken to over ASGI as an HTTP client would."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app, self.client = app, client

    async def post(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return await self.client.post("/graphql", json={"query": query, "variables": variables or {}}, **kw)

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def connector(self, name: str) -> Any:
        return self.app.state.partners.get(name)


async def open_hub(
    configs: list[PartnerConfig], settings: HubSettings | None = None
) -> AsyncIterator[HubClient]:
    app = create_app(settings or HubSettings(), partners=configs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
            yield HubClient(app, client)
