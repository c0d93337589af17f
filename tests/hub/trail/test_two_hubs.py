"""Two hub processes (or one `hub serve --workers 2`) writing one PostgreSQL audit trail under load: the
chain stays whole, nothing is lost; and, sharing Redis, they hold a client to one rate-limit budget."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connectors.demo.embedded import free_port, partners_toml
from hub.audit.store import AuditFilter, AuditStore
from hub.db import create_engine
from tests.support import Partner, private_pg_database, wait_until_healthy

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not PG_URL, reason="HUB_TEST_DATABASE_URL is not set")
REQUESTS_PER_HUB = 25
SEARCH = "query($c: PersonCriteria!) { searchPersons(criteria: $c) { people { id } } }"


@pytest.fixture
def throwaway_database() -> Iterator[str]:
    with private_pg_database("hub_trail") as url:
        yield url


@pytest.fixture(params=["two hub processes", "one hub with two workers"])
def two_hubs(
    request: pytest.FixtureRequest,
    throwaway_database: str,
    demo_urls: dict[str, str],
    southmoor: Partner,
    eastvale: Partner,
    tmp_path: Path,
) -> Iterator[tuple[list[str], dict[str, str]]]:
    partners = tmp_path / "partners.toml"
    partners.write_text(partners_toml(demo_urls, {"southmoor": southmoor.url, "eastvale": eastvale.url}))
    env = {**os.environ, "HUB_DATABASE_URL": throwaway_database, "HUB_DATA_DIR": str(tmp_path)}
    # The load below is one client's: its rate limit is not what is tested here (but see the end of the file).
    env |= {"HUB_RATE_LIMIT": "100000/second", "HUB_ORGANISATION_RATE_LIMIT": "100000/second"}
    if REDIS_URL:
        env["HUB_REDIS_URL"] = REDIS_URL
    serve = [sys.executable, "-m", "hub", "serve", "--partners", str(partners)]
    if request.param == "two hub processes":
        ports = [free_port(), free_port()]
        commands = [[*serve, "--port", str(port)] for port in ports]
    else:
        ports = [free_port()] * 2  # both halves of the load go to the one port the workers share
        commands = [[*serve, "--port", str(ports[0]), "--workers", "2"]]
    hubs = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for command in commands
    ]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        deadline = time.monotonic() + 60
        for url in urls:
            wait_until_healthy(url, deadline)
        yield urls, env
    finally:
        for hub in hubs:
            hub.terminate()
        for hub in hubs:
            hub.wait(20)


async def test_two_hubs_under_load_keep_one_whole_chain(two_hubs: tuple[list[str], dict[str, str]]) -> None:
    urls, env = two_hubs
    subprocess.run([sys.executable, "-m", "hub", "demo", "clients"], env=env, capture_output=True, check=True)
    token = subprocess.run(
        [sys.executable, "-m", "hub", "token", "--client", "investigator"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {
        "Authorization": f"Bearer {token}",
        "Hub-Purpose": "investigation",
        "Hub-Justification": "load",
    }

    async with httpx.AsyncClient(headers=headers, timeout=60) as client:

        async def ask(url: str, i: int) -> int:
            name = ["Smith", "Jones", "Kilbride", "Taylor"][i % 4]
            body = {"query": SEARCH, "variables": {"c": {"familyName": name}}}
            return (await client.post(f"{url}/graphql", json=body)).status_code

        statuses = await asyncio.gather(*(ask(url, i) for url in urls for i in range(REQUESTS_PER_HUB)))

    assert statuses == [200] * (2 * REQUESTS_PER_HUB)
    verify = subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify"], env=env, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    engine = create_engine(env["HUB_DATABASE_URL"])
    try:
        # One event per request, besides the one of `hub token` printing the token.
        assert await AuditStore(engine).count(AuditFilter(outcome="ok")) == 2 * REQUESTS_PER_HUB
        assert await AuditStore(engine).count(AuditFilter()) == 2 * REQUESTS_PER_HUB + 1
    finally:
        await engine.dispose()


@pytest.mark.skipif(not REDIS_URL, reason="HUB_TEST_REDIS_URL is not set")
def test_two_hubs_sharing_redis_hold_a_client_to_one_budget(
    two_hubs: tuple[list[str], dict[str, str]],
) -> None:
    urls, env = two_hubs
    client = f"limited-{os.getpid()}-{time.monotonic_ns()}"
    hub = [sys.executable, "-m", "hub"]
    add = [*hub, "clients", "add", client, "--org", f"Org {client}", "--org-type", "police-force"]
    subprocess.run(
        [*add, "--scope", "person:read", "--rate-limit", "5/minute"], env=env, check=True, capture_output=True
    )
    token = subprocess.run(
        [*hub, "token", "--client", client], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    headers = {
        "Authorization": f"Bearer {token}",
        "Hub-Purpose": "investigation",
        "Hub-Justification": "budget",
    }
    body = {"query": SEARCH, "variables": {"c": {"familyName": "Kilbride"}}}

    statuses = [
        httpx.post(f"{urls[i % 2]}/graphql", json=body, headers=headers, timeout=30).status_code
        for i in range(12)
    ]

    assert statuses.count(200) == 5 and statuses.count(429) == 7, statuses
