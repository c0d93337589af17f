"""The compose topology without Docker (`hub demo stack`): two hub processes on one PostgreSQL and one Redis
behind no proxy, the demo partners in front. Any replica serves any request with a token from either; a
replica killed with SIGKILL under load loses no audit event of any request it answered, and the chain
verifies."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from connectors.demo.stack import Stack
from hub.audit.tables import audit_event
from hub.db import create_engine
from tests.support import private_pg_database

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("HUB_TEST_REDIS_URL")
# Not marked slow (about 15 s): CI's PostgreSQL run, which leaves slow tests out, is where it can run.
pytestmark = [
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL), reason="HUB_TEST_DATABASE_URL and HUB_TEST_REDIS_URL are not set"
    ),
]
SEARCH = "query($c: PersonCriteria!) { searchPersons(criteria: $c) { people { id } } }"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with private_pg_database("hub_stack") as url:
        unlimited = "100000/second"
        env = {"HUB_RATE_LIMIT": unlimited, "HUB_ORGANISATION_RATE_LIMIT": unlimited}
        with Stack(tmp_path, url, REDIS_URL or "", replicas=2, people=100, env=env).start() as running:
            yield running


async def answered_request_ids(
    stack: Stack, token: str, total: int, kill_after: int
) -> tuple[list[str], int]:
    """Send `total` searches spread over the replicas, SIGKILL replica 0 once `kill_after` are answered; the
    request ids of the answers that came back 200, and how many requests failed."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Hub-Purpose": "investigation",
        "Hub-Justification": "kill",
    }
    answered: list[str] = []
    failed = 0
    names = ["Smith", "Jones", "Kilbride", "Taylor"]
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:

        async def ask(i: int) -> None:
            nonlocal failed
            body = {"query": SEARCH, "variables": {"c": {"familyName": names[i % 4]}}}
            try:
                response = await client.post(f"{stack.urls[i % 2]}/graphql", json=body)
            except httpx.HTTPError:
                failed += 1
                return
            if response.status_code == 200:
                answered.append(response.headers["x-request-id"])
                if len(answered) == kill_after:
                    await asyncio.to_thread(stack.kill, 0)
            else:
                failed += 1

        for start in range(0, total, 8):
            await asyncio.gather(*(ask(i) for i in range(start, min(start + 8, total))))
    return answered, failed


async def trail_request_ids(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return set((await conn.execute(select(audit_event.c.request_id))).scalars())
    finally:
        await engine.dispose()


def test_any_replica_serves_any_request_and_a_killed_one_loses_no_answered_event(stack: Stack) -> None:
    token = stack.token()
    headers = {"Authorization": f"Bearer {token}", "Hub-Purpose": "investigation", "Hub-Justification": "any"}
    body = {"query": SEARCH, "variables": {"c": {"familyName": "Kilbride"}}}
    for url in stack.urls:  # one token, both replicas
        assert httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=30).status_code == 200

    answered, failed = asyncio.run(answered_request_ids(stack, token, total=80, kill_after=20))

    assert len(answered) >= 40 and failed >= 1, (len(answered), failed)  # the kill happened under load
    recorded = asyncio.run(trail_request_ids(stack.env["HUB_DATABASE_URL"]))
    missing = [request_id for request_id in answered if request_id not in recorded]
    assert missing == [], f"{len(missing)} answered requests have no audit event"
    verify = subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify"], env=stack.env, capture_output=True, text=True
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
