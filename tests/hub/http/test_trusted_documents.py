"""Trusted documents: a client in trusted-documents mode runs registered documents by id (GraphQL
trusted-documents `documentId`, or Apollo's `extensions.persistedQuery`), and is refused free text
(TRUSTED_DOCUMENTS_ONLY) and unknown ids (PERSISTED_QUERY_NOT_FOUND); other clients are unaffected."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hub.audit.store import AuditFilter
from hub.auth.documents import document_id_of
from hub.auth.principal import ClientLimits
from tests.support import HubClient, Partner, open_demo_hub

SEARCH = '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 3) { people { id } } }'
SCOPES = ["person:read"]


async def post(hub: HubClient, client: str, body: dict[str, Any]) -> httpx.Response:
    headers = await hub.headers(client, "investigation", "Operation Kestrel")
    return await hub.client.post("/graphql", json=body, headers=headers)


@pytest.fixture
async def trusted_client(hub: HubClient) -> tuple[str, str]:
    """A client held to its registered documents, and the id of the one it has."""
    client = await hub.add_client("police-force", SCOPES)
    await hub.app.state.auth.clients.set_limits(client, ClientLimits(trusted_documents_only=True))
    record = await hub.app.state.auth.documents.add(client, SEARCH, "kilbride search")
    return client, record.document_id


async def test_a_registered_document_runs_by_id_and_is_audited_with_its_text(
    hub: HubClient, trusted_client: tuple[str, str]
) -> None:
    client, document_id = trusted_client
    assert document_id == "sha256:" + hashlib.sha256(SEARCH.encode()).hexdigest()

    response = await post(hub, client, {"documentId": document_id})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["searchPersons"]["people"]
    event = (await hub.app.state.audit.events(AuditFilter(client_id=client), 100))[-1]
    assert event.event.document == SEARCH and event.document_hash == document_id.removeprefix("sha256:")


async def test_apollos_persisted_query_extension_names_it_too(
    hub: HubClient, trusted_client: tuple[str, str]
) -> None:
    client, document_id = trusted_client
    apollo = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_id.removeprefix("sha256:")}}
    }
    response = await post(hub, client, apollo)
    assert response.status_code == 200 and response.json()["data"]["searchPersons"]["people"]


async def test_free_text_is_refused_before_any_partner_is_asked(
    hub: HubClient, trusted_client: tuple[str, str], southmoor: Partner
) -> None:
    client, _ = trusted_client

    response = await post(hub, client, {"query": SEARCH})

    assert response.status_code == 403
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"
    assert southmoor.kinds() == []
    event = (await hub.app.state.audit.events(AuditFilter(client_id=client), 100))[-1].event
    assert event.outcome == "denied" and event.http_status == 403


async def test_an_unknown_id_and_another_clients_document_are_not_found(
    hub: HubClient, trusted_client: tuple[str, str]
) -> None:
    client, document_id = trusted_client
    unknown = await post(hub, client, {"documentId": document_id_of(SEARCH + " ")})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    other = await hub.add_client("police-force", SCOPES)
    theirs = await post(hub, other, {"documentId": document_id})
    assert theirs.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_normal_client_sends_text_and_may_also_use_its_own_documents(hub: HubClient) -> None:
    client = await hub.add_client("police-force", SCOPES)
    assert (await post(hub, client, {"query": SEARCH})).status_code == 200
    document_id = (await hub.app.state.auth.documents.add(client, SEARCH)).document_id
    assert (await post(hub, client, {"documentId": document_id})).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": "md5:abc"},
        {"documentId": 42},
        {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": "ab"}}},
        {"query": "{ __typename }", "documentId": document_id_of(SEARCH)},
    ],
    ids=["not-sha256", "not-a-string", "apollo-version-2", "text-and-id-disagree"],
)
async def test_malformed_ids_and_mismatched_text_are_bad_requests(
    hub: HubClient, trusted_client: tuple[str, str], body: dict[str, Any]
) -> None:
    client, _ = trusted_client
    response = await post(hub, client, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_removed_document_no_longer_runs(hub: HubClient, trusted_client: tuple[str, str]) -> None:
    client, document_id = trusted_client
    await hub.app.state.auth.documents.remove(client, document_id)
    response = await post(hub, client, {"documentId": document_id})
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.fixture
async def trusted_hub(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> AsyncIterator[HubClient]:
    async for client in open_demo_hub(demo_urls, southmoor, eastvale, trusted_documents_only=True):
        yield client


async def test_the_global_setting_holds_every_client_to_registered_documents(trusted_hub: HubClient) -> None:
    refused = await trusted_hub.post(SEARCH)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENTS_ONLY"
    document_id = (await trusted_hub.app.state.auth.documents.add("investigator", SEARCH)).document_id
    assert (await post(trusted_hub, "investigator", {"documentId": document_id})).status_code == 200
