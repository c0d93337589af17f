"""`/metrics`: Prometheus metrics for a scraper holding HUB_METRICS_TOKEN, counting what was sent (requests by
operation and outcome, refusals, one partner's failures), summed over worker processes; and never served to
anyone else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connectors.demo.embedded import free_port, partners_toml
from tests.hub.http.test_rate_limits import _entered
from tests.support import HubClient, Partner, open_demo_hub, wait_until_healthy

TOKEN = "scrape-" + "x" * 24


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in the exposition text (0 if it is not there)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return float(s.value)
    return 0.0


@pytest.fixture
async def hub(demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> AsyncIterator[HubClient]:
    async with _entered(open_demo_hub(demo_urls, southmoor, eastvale, metrics_token=TOKEN)) as client:
        yield client


async def post_document(hub: HubClient, document_id: str) -> None:
    headers = await hub.headers("investigator", "investigation", "metrics")
    response = await hub.client.post("/graphql", json={"documentId": document_id}, headers=headers)
    assert response.status_code == 200, response.text


async def scrape(hub: HubClient) -> str:
    response = await hub.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_the_metrics_count_what_was_sent(hub: HubClient, southmoor: Partner) -> None:
    name = f"Metrics{uuid.uuid4().hex[:8]}"
    fields = 'searchPersons(criteria: {familyName: "Kilbride"}, first: 2) { people { id } }'
    search = f"query {name} {{ {fields} }}"
    registered = await hub.app.state.auth.documents.add("investigator", search)
    before = await scrape(hub)
    for _ in range(2):
        await post_document(hub, registered.document_id)
    southmoor.faults.update({"mode": "error"})
    await post_document(hub, registered.document_id)
    await hub.query(search)  # the same operation sent as text: ad hoc, and its name is not shown
    flood = (
        "{ "
        + " ".join(
            f'a{i}: searchPersons(criteria: {{familyName: "A"}}, first: 100) {{ people {{ id }} }}'
            for i in range(100)
        )
        + " }"
    )
    assert (await hub.post(flood)).status_code == 400
    assert (await hub.post(search, client=None)).status_code == 401

    after = await scrape(hub)

    def delta(metric: str, **labels: str) -> float:
        return sample(after, metric, **labels) - sample(before, metric, **labels)

    police = {"organisation_type": "police-force"}
    assert delta("hub_requests_total", operation=name, outcome="ok", **police) == 2
    assert delta("hub_requests_total", operation=name, outcome="partial", **police) == 1
    assert delta("hub_requests_total", operation="ad-hoc", outcome="partial", **police) == 1
    anonymous = {"outcome": "unauthenticated", "organisation_type": "none"}
    assert delta("hub_requests_total", operation="ad-hoc", **anonymous) == 1
    assert delta("hub_refusals_total", code="QUERY_TOO_EXPENSIVE") == 1
    assert delta("hub_refusals_total", code="UNAUTHENTICATED") == 1
    failures = delta("hub_partner_calls_total", partner="southmoor", kind="search", outcome="unavailable")
    assert failures >= 1  # once per attempt that failed, after its retries
    assert delta("hub_partner_calls_total", partner="eastvale", kind="search", outcome="ok") == 4
    assert delta("hub_request_duration_seconds_count", outcome="ok") >= 2
    assert delta("hub_audit_write_duration_seconds_count") >= 5
    assert sample(after, "hub_partner_breaker_state", partner="southmoor") in (0, 1, 2)
    # Nothing of any person: the showcase search's name appears nowhere in what the metrics say.
    assert "Kilbride" not in after


async def test_only_the_scrape_token_opens_the_metrics(hub: HubClient) -> None:
    jwt = await hub.token("investigator")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {jwt}"}):
        response = await hub.client.get("/metrics", headers=headers)
        assert response.status_code == 401 and "hub_requests" not in response.text


async def test_without_a_scrape_token_there_are_no_metrics(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> None:
    async with _entered(open_demo_hub(demo_urls, southmoor, eastvale)) as plain:
        assert (
            await plain.client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        ).status_code == 404


@pytest.mark.slow
def test_two_workers_metrics_are_summed(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner, tmp_path: Path
) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text(partners_toml(demo_urls, {"southmoor": southmoor.url, "eastvale": eastvale.url}))
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path), "HUB_METRICS_TOKEN": TOKEN}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("HUB_DATABASE_URL", None)
    hub = [sys.executable, "-m", "hub"]
    subprocess.run([*hub, "demo", "clients"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [*hub, "token", "--client", "investigator"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    port = free_port()
    process = subprocess.Popen(
        [*hub, "serve", "--partners", str(partners), "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, time.monotonic() + 60, [process])
        headers = {
            "Authorization": f"Bearer {token}",
            "Hub-Purpose": "investigation",
            "Hub-Justification": "m",
        }
        query = '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 1) { people { id } } }'
        with httpx.Client(timeout=30) as client:  # new connections: the workers share them out
            for _ in range(20):
                assert (
                    client.post(
                        f"{url}/graphql", json={"query": query}, headers={**headers, "Connection": "close"}
                    ).status_code
                    == 200
                )
        scraped = [
            httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text for _ in range(4)
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    for text in scraped:  # whichever worker answers, it answers for both
        assert (
            sample(
                text,
                "hub_requests_total",
                operation="anonymous",
                outcome="ok",
                organisation_type="police-force",
            )
            == 20
        )
