"""Signing keys: shared by replicas through the database, rotated without downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine

from hub.auth.keys import KeyStore
from hub.auth.services import AuthServices
from hub.auth.tables import signing_key
from hub.config.settings import HubSettings
from hub.db import create_engine, migrate_database
from tests.hub.auth.conftest import header_of


async def test_first_key_is_made_once_and_has_a_thumbprint_kid(services: AuthServices) -> None:
    first = await services.keys.ensure_key()
    again = await services.keys.ensure_key()
    assert first.kid == again.kid
    assert first.kid == first.public.thumbprint()
    assert first.algorithm == "ES256"
    assert len(await services.keys.list()) == 1


async def test_a_token_signed_before_rotation_still_validates(services: AuthServices) -> None:
    await services.clients.add("investigator", "Northshire Police", "police-force", ["person:read"])
    before = await services.token_for("investigator")
    old = await services.keys.signing_key()

    new = await services.keys.rotate()

    assert new.kid != old.kid
    assert (await services.keys.signing_key()).kid == new.kid
    after = await services.token_for("investigator")
    assert header_of(before)["kid"] == old.kid
    assert header_of(after)["kid"] == new.kid
    for token in (before, after):
        assert (await services.validator.validate(token)).client_id == "investigator"
    published = {k["kid"] for k in (await services.keys.jwks())["keys"]}
    assert published == {old.kid, new.kid}
    for jwk in (await services.keys.jwks())["keys"]:
        assert "d" not in jwk


async def test_jwks_over_http_holds_both_keys_after_rotation(
    http: httpx.AsyncClient, services: AuthServices
) -> None:
    old = await services.keys.signing_key()
    new = await services.keys.rotate()
    kids = [k["kid"] for k in (await http.get("/.well-known/jwks.json")).json()["keys"]]
    assert kids == [new.kid, old.kid]


async def test_another_replica_validates_tokens_after_a_rotation_it_did_not_see(
    services: AuthServices, settings: HubSettings
) -> None:
    """A second hub process on the same database: its key cache is warm with the old key only."""
    await services.clients.add("frontline", "Southmoor Constabulary", "police-force", ["person:match"])
    engine = create_engine(settings.effective_database_url)
    try:
        replica = AuthServices.from_settings(settings, engine)
        await replica.open()
        before = await services.token_for("frontline")
        assert (await replica.validator.validate(before)).client_id == "frontline"

        await services.keys.rotate()  # "hub keys rotate" elsewhere: the replica's cache does not know
        after = await services.token_for("frontline")

        assert (await replica.validator.validate(after)).client_id == "frontline"
        assert (await replica.validator.validate(before)).client_id == "frontline"
        # And tokens the replica signs, once it has reloaded, use the new key.
        assert header_of(await replica.token_for("frontline"))["kid"] == header_of(after)["kid"]
        await replica.aclose()
    finally:
        await engine.dispose()


async def test_a_replica_signs_with_the_new_key_after_its_cache_time(engine: AsyncEngine) -> None:
    await migrate_database(engine)
    one = KeyStore(engine, cache_seconds=0)
    two = KeyStore(engine, cache_seconds=0)
    first = await one.ensure_key()
    assert (await two.signing_key()).kid == first.kid
    rotated = await one.rotate()
    assert (await two.signing_key()).kid == rotated.kid


async def test_a_retired_key_stops_validating_once_its_tokens_have_expired(services: AuthServices) -> None:
    old = await services.keys.signing_key()
    await services.keys.rotate()
    long_ago = datetime.now(UTC) - timedelta(days=1)
    async with services.engine.begin() as conn:
        await conn.execute(
            update(signing_key).where(signing_key.c.kid == old.kid).values(retired_at=long_ago)
        )
    fresh = KeyStore(services.engine)
    assert await fresh.public_key(old.kid) is None
    assert old.kid not in {k["kid"] for k in (await fresh.jwks())["keys"]}
    assert len(await fresh.list()) == 2  # kept for the record; `hub keys list` says "expired"


async def test_unknown_kids_reload_the_keys_at_most_once_per_interval(services: AuthServices) -> None:
    store = KeyStore(services.engine, cache_seconds=3600, refresh_seconds=3600)
    await store.signing_key()
    queries: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM signing_key" in statement:
            queries.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    try:
        for n in range(20):  # a flood of made-up kids
            assert await store.public_key(f"made-up-{n}") is None
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", count)
    assert len(queries) == 1
