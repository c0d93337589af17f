"""Fixtures for access-control tests: the showcase person's id, clients made to measure, strict mode."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from hub.config.settings import HubSettings
from tests.support import HubClient, Partner, open_hub, partner_configs


@pytest.fixture
async def kilbride_id(hub: HubClient) -> str:
    body = await hub.query('{ searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }')
    [person] = body["data"]["searchPersons"]["people"]
    return str(person["id"])


@pytest.fixture
def client_with(hub: HubClient) -> Callable[..., Awaitable[str]]:
    """Make a client of a given organisation type with given scopes."""

    async def make(org_type: str, scopes: list[str], purposes: list[str] | None = None) -> str:
        return await hub.add_client(org_type, scopes, purposes)

    return make


@pytest.fixture
def police_client(client_with: Callable[..., Awaitable[str]]) -> Callable[[list[str]], Awaitable[str]]:
    """Make a police-force client with given scopes."""

    async def make(scopes: list[str]) -> str:
        return await client_with("police-force", scopes)

    return make


@pytest.fixture
async def strict_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    settings = HubSettings(reject_unauthorized_operations=True)
    async for client in open_hub(partner_configs(demo_urls, southmoor.url, eastvale.url), settings):
        yield client
