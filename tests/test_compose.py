"""docker-compose.yml is valid Compose: the hub replicas behind a proxy, on PostgreSQL and Redis, scraped by
Prometheus, tracing to Jaeger, no secret with a default outside the marked demo env file; and every service it
starts from the hub's image is a `hub` command that also runs bare."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from hub.cli import cli
from hub.config.partners_file import load_partners

SPEC = Path(__file__).parent / "data" / "compose-spec.json"


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return loaded


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    # The spec names draft-07 in a form jsonschema does not look up by itself, so say so.
    jsonschema.Draft7Validator(json.loads(SPEC.read_text())).validate(compose)


def test_the_validation_catches_an_invalid_compose_file(compose: dict[str, Any]) -> None:
    broken = {
        **compose,
        "services": {**compose["services"], "hub": {**compose["services"]["hub"], "ports": "8000"}},
    }
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(json.loads(SPEC.read_text())).validate(broken)


def test_vendored_compose_specification_matches_the_shared_one(repo_root: Path) -> None:
    shared = repo_root.parent / "shared" / "compose-spec.json"
    if not shared.exists():
        pytest.skip("no shared/ beside this checkout")
    assert json.loads(shared.read_text()) == json.loads(SPEC.read_text())


def test_stack_has_the_hub_and_the_three_demo_partners(compose: dict[str, Any]) -> None:
    assert {"hub", "southmoor", "eastvale", "demo-data"} <= set(compose["services"])


def test_replicas_share_postgresql_migrated_once_before_they_start(compose: dict[str, Any]) -> None:
    services = compose["services"]
    hub, migrate = services["hub"], services["migrate"]
    assert hub["deploy"]["replicas"] >= 2
    assert hub["environment"]["HUB_DATABASE_URL"] == migrate["environment"]["HUB_DATABASE_URL"]
    assert hub["environment"]["HUB_DATABASE_URL"].startswith("postgresql://")
    assert hub["environment"]["HUB_AUTO_MIGRATE"] == "false"
    assert hub["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["demo-data", "southmoor", "eastvale", "hub", "migrate"])
def test_every_service_command_is_a_valid_hub_invocation(compose: dict[str, Any], service: str) -> None:
    args = list(compose["services"][service]["command"])
    command: click.Command = cli
    ctx = click.Context(cli, info_name="hub")
    while isinstance(command, click.Group):
        name = args.pop(0)
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{service}: 'hub' has no command '{name}'"
        command, ctx = sub, click.Context(sub, info_name=name, parent=ctx)
    command.make_context(command.name or "", args, parent=ctx.parent)  # raises on a bad option


def test_compose_partners_file_is_valid(repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOUTHMOOR_CLIENT_SECRET", "x")
    partners = load_partners(repo_root / "deploy" / "compose" / "partners.toml")
    assert [(p.name, p.kind) for p in partners] == [
        ("northshire", "sql"),
        ("southmoor", "rest"),
        ("eastvale", "graphql"),
    ]


def test_the_stack_has_redis_a_proxy_prometheus_and_a_trace_receiver(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"redis", "proxy", "prometheus", "jaeger"} <= set(services)
    hub = services["hub"]
    assert hub["environment"]["HUB_REDIS_URL"] == "redis://redis:6379/0"
    assert hub["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://jaeger:")
    assert hub["environment"]["HUB_ENV"] == "production"
    assert "ports" not in hub, "the replicas are reached through the proxy only"
    assert services["proxy"]["ports"] == ["8080:8080"]
    assert "/readyz" in " ".join(hub["healthcheck"]["test"])


def test_no_secret_has_a_default_outside_the_demo_env_file(repo_root: Path) -> None:
    text = (repo_root / "docker-compose.yml").read_text()
    for secret in ("HUB_DB_PASSWORD", "SOUTHMOOR_CLIENT_SECRET", "HUB_METRICS_TOKEN"):
        uses = re.findall(r"\$\{" + secret + r"(:?[-?][^}]*)?\}", text)
        assert uses and all(use.startswith(":?") for use in uses), (secret, uses)
    demo = (repo_root / "deploy" / "compose" / "demo.env").read_text()
    assert demo.startswith("# DEMO ONLY")
    assert {line.split("=")[0] for line in demo.splitlines() if "=" in line and not line.startswith("#")} >= {
        "HUB_DB_PASSWORD", "SOUTHMOOR_CLIENT_SECRET", "HUB_METRICS_TOKEN",
    }  # fmt: skip


def test_prometheus_scrapes_every_replica_with_the_token_from_a_file(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "deploy" / "compose" / "prometheus.yml").read_text())
    [job] = config["scrape_configs"]
    assert job["authorization"]["credentials_file"] == "/run/secrets/hub_metrics_token"
    assert job["dns_sd_configs"] == [{"names": ["hub"], "type": "A", "port": 8000}]
    nginx = (repo_root / "deploy" / "compose" / "nginx.conf").read_text()
    assert "server hub:8000;" in nginx and "location = /metrics { return 404; }" in nginx
