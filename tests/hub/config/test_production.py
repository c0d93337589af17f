"""Production settings (HUB_ENV=production) refuse each of the demo's conveniences with a clear error, all of
them at once, unless HUB_PRODUCTION_EXCEPTIONS names it; the demo's clients in the database stop the hub at
start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from connectors.demo.clients import DEMO_CLIENTS, seed_demo_clients
from hub.auth.clients import ClientStore
from hub.config.check import ConfigurationError, check_configuration
from hub.config.production import CONVENIENCES, DEMO_CLIENT_IDS, ProductionRefused
from hub.config.settings import HubSettings
from hub.db import create_engine, migrate_database
from hub.http.app import create_app

PARTNERS = (
    '[[partners]]\nname = "westmarch"\nkind = "rest"\n[partners.connection]\n'
    'base_url = "https://westmarch.example"\nclient_id = "hub"\nclient_secret = "s"\n'
)
EVERY_CONVENIENCE = {
    "HUB_GRAPHIQL": "true",
    "HUB_INTROSPECTION_REQUIRES_SCOPE": "false",
    "HUB_ALLOW_GET_QUERIES": "true",
    "HUB_TOKEN_ISSUER": "http://hub.example",
}


@pytest.fixture
def partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("HUB_DATABASE_URL", "HUB_ENV", "HUB_PRODUCTION_EXCEPTIONS", *EVERY_CONVENIENCE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    path = tmp_path / "partners.toml"
    path.write_text(PARTNERS, encoding="utf-8")
    return path


def test_production_refuses_every_convenience_at_once(
    partners: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"HUB_ENV": "production", **EVERY_CONVENIENCE}.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError) as caught:
        check_configuration(partners)

    problems = caught.value.problems
    for name in ("graphiql", "introspection", "get-queries", "sqlite", "http-issuer"):
        assert any(f"'{name}'" in p and CONVENIENCES[name] in p for p in problems), (name, problems)
    assert len(problems) == 5


def test_named_exceptions_are_allowed_and_development_allows_all(
    partners: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in EVERY_CONVENIENCE.items():
        monkeypatch.setenv(name, value)
    assert check_configuration(partners).env == "development"

    monkeypatch.setenv("HUB_ENV", "production")
    monkeypatch.setenv(
        "HUB_PRODUCTION_EXCEPTIONS", "graphiql, introspection, get-queries, sqlite, http-issuer"
    )
    settings = check_configuration(partners)
    assert settings.production_exceptions == {
        "graphiql",
        "introspection",
        "get-queries",
        "sqlite",
        "http-issuer",
    }


def test_an_unknown_exception_is_a_setting_mistake(partners: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PRODUCTION_EXCEPTIONS", "graphiql,everything")
    with pytest.raises(ConfigurationError, match=r"HUB_PRODUCTION_EXCEPTIONS.*everything"):
        check_configuration(partners)


def test_the_demo_clients_stop_a_production_hub_until_they_are_revoked(tmp_path: Path) -> None:
    settings = HubSettings(data_dir=tmp_path, env="production", production_exceptions={"sqlite"})

    async def main() -> None:
        engine = create_engine(settings.effective_database_url)
        try:
            await migrate_database(engine)
            store = ClientStore(engine)
            await seed_demo_clients(store)
            app = create_app(settings, partners=[])
            with pytest.raises(ProductionRefused, match="investigator") as caught:
                async with app.router.lifespan_context(app):
                    pass
            assert "demo-clients" in str(caught.value)
            for client in DEMO_CLIENT_IDS:
                await store.revoke(client)
            app = create_app(settings, partners=[])
            async with app.router.lifespan_context(app):
                pass  # starts
        finally:
            await engine.dispose()

    asyncio.run(main())


def test_the_production_check_knows_every_demo_client() -> None:
    assert set(DEMO_CLIENT_IDS) == {c.client_id for c in DEMO_CLIENTS}
