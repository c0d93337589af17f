"""The client store: hashed secrets, validation, revocation and its cache, demo seeding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connectors.demo.clients import DEMO_CLIENTS, seed_demo_clients
from hub.auth.clients import (
    ClientError,
    ClientStore,
    DuplicateClient,
    UnknownClient,
    hash_secret,
    verify_secret,
)
from hub.auth.principal import OrganisationType
from hub.auth.services import AuthServices, ClientNotActive
from hub.auth.tables import oauth_client


@pytest.fixture
def store(services: AuthServices) -> ClientStore:
    return services.clients


async def test_add_returns_a_random_secret_and_stores_only_a_salted_hash(store: ClientStore) -> None:
    secret = await store.add("frontline", "Southmoor Constabulary", "police-force", ["person:read"])
    assert len(secret) >= 40
    async with store.engine.connect() as conn:
        stored = await conn.scalar(select(oauth_client.c.secret_hash))
    assert stored is not None and secret not in stored
    assert stored.startswith("scrypt$16384$8$1$")
    assert (await store.authenticate("frontline", secret)) is not None


def test_the_same_secret_hashes_differently_each_time() -> None:
    one, two = hash_secret("s" * 20), hash_secret("s" * 20)
    assert one != two
    assert verify_secret("s" * 20, one) and verify_secret("s" * 20, two)
    assert not verify_secret("t" * 20, one)
    assert not verify_secret("s" * 20, "not$a$valid$hash")


async def test_authenticate_refuses_wrong_secrets_unknown_clients_and_revoked_ones(
    store: ClientStore,
) -> None:
    secret = await store.add("mash", "Eastvale Council MASH", "child-protection-agency", ["person:match"])
    record = await store.authenticate("mash", secret)
    assert record is not None
    assert record.organisation_type is OrganisationType.CHILD_PROTECTION_AGENCY
    assert record.scopes == frozenset({"person:match"})
    assert record.purposes is None
    assert await store.authenticate("mash", secret + "x") is None
    assert await store.authenticate("nobody", secret) is None
    await store.revoke("mash")
    assert await store.authenticate("mash", secret) is None


async def test_a_given_secret_is_used(store: ClientStore) -> None:
    secret = await store.add(
        "dev", "Partner Integration Team", "developer", ["schema:introspect"], secret="x" * 16
    )
    assert secret == "x" * 16
    assert await store.authenticate("dev", "x" * 16) is not None


async def test_unknown_scopes_are_refused_by_name(store: ClientStore) -> None:
    with pytest.raises(ClientError, match=r"unknown scopes \['everything'\]"):
        await store.add("greedy", "Org", "police-force", ["person:read", "everything"])
    assert await store.get("greedy") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"client_id": "has space"}, "client id"),
        ({"client_id": ""}, "client id"),
        ({"organisation": " "}, "organisation must not be empty"),
        ({"organisation_type": "bank"}, "organisation type 'bank'"),
        ({"scopes": []}, "at least one scope"),
        ({"purposes": ["Bad Purpose"]}, "purpose codes"),
        ({"purposes": []}, "at least one"),
        ({"secret": "short"}, "at least 16 characters"),
    ],
)
async def test_bad_values_are_refused_with_a_message_naming_them(
    store: ClientStore, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {
        "client_id": "ok",
        "organisation": "Org",
        "organisation_type": "police-force",
        "scopes": ["person:read"],
        **kwargs,
    }
    with pytest.raises(ClientError, match=message):
        await store.add(**args)  # type: ignore[arg-type]


async def test_a_duplicate_id_is_refused(store: ClientStore) -> None:
    await store.add("twice", "Org", "police-force", ["person:read"])
    with pytest.raises(DuplicateClient, match="'twice' exists already"):
        await store.add("twice", "Other Org", "auditor", ["audit:read"])


async def test_get_list_and_revoke(store: ClientStore) -> None:
    await store.add(
        "b-client", "Org B", "auditor", ["audit:read"], purposes=["audit"], description="the auditor"
    )
    await store.add("a-client", "Org A", "police-force", ["person:read", "custody:read"])
    record = await store.get("b-client")
    assert record is not None
    assert record.purposes == frozenset({"audit"})
    assert record.description == "the auditor"
    assert record.active and record.created_at.tzinfo is not None
    assert [c.client_id for c in await store.list()] == ["a-client", "b-client"]

    revoked = await store.revoke("a-client")
    assert not revoked.active and revoked.revoked_at is not None
    again = await store.revoke("a-client")  # no-op
    assert again.revoked_at == revoked.revoked_at
    assert [c.client_id for c in await store.list(include_revoked=False)] == ["b-client"]
    with pytest.raises(UnknownClient):
        await store.revoke("nobody")


async def test_is_active_is_cached_for_its_ttl_then_sees_a_revocation(services: AuthServices) -> None:
    await services.clients.add("cached", "Org", "police-force", ["person:read"])
    replica = ClientStore(services.engine, cache_seconds=3600)
    fresh = ClientStore(services.engine, cache_seconds=0)
    assert await replica.is_active("cached")
    await services.clients.revoke("cached")
    assert await replica.is_active("cached")  # within the TTL: memory, no round trip
    assert not await fresh.is_active("cached")  # TTL 0: always the database
    assert not await fresh.is_active("nobody")


async def test_revoking_through_a_store_clears_its_own_cache(services: AuthServices) -> None:
    store = ClientStore(services.engine, cache_seconds=3600)
    await store.add("local", "Org", "police-force", ["person:read"])
    assert await store.is_active("local")
    await store.revoke("local")
    assert not await store.is_active("local")


async def test_seeding_the_demo_clients_makes_the_missing_ones_only(services: AuthServices) -> None:
    await services.clients.add("auditor", "Already Here", "auditor", ["audit:read"])
    made = await seed_demo_clients(services.clients)
    assert set(made) == {d.client_id for d in DEMO_CLIENTS} - {"auditor"}
    for client_id, secret in made.items():
        assert await services.clients.authenticate(client_id, secret) is not None
    assert await seed_demo_clients(services.clients) == {}
    investigator = await services.clients.get("investigator")
    assert investigator is not None and "markers:health" not in investigator.scopes
    child = await services.clients.get("child-protection")
    assert child is not None and child.purposes == frozenset({"safeguarding"})


async def test_token_for_refuses_unknown_and_revoked_clients(services: AuthServices) -> None:
    with pytest.raises(ClientNotActive, match="No client 'ghost'"):
        await services.token_for("ghost")
    await services.clients.add("gone", "Org", "police-force", ["person:read"])
    await services.clients.revoke("gone")
    with pytest.raises(ClientNotActive, match="revoked"):
        await services.token_for("gone")
