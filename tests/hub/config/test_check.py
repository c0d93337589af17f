"""A hub started with several configuration mistakes names every one of them, then stops: before listening,
with a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub.config.check import ConfigurationError, check_configuration

PARTNERS = """
[[partners]]
name = "westmarch"
kind = "rest"
title = "Westmarch Police"
[partners.connection]
# no base_url: the REST kind cannot work without one
client_id = "hub"

[[partners]]
name = "northshire"
kind = "sql"
[partners.connection]
url = "sqlite+aiosqlite:///:memory:"
[partners.mapping.people]
table = "nominal"
columns = { no_such_field = "x" }
"""

ISSUERS = """
[[issuers]]
issuer = "https://idp.westmarch.police.example"
organisation = "Westmarch Police"
organisation_type = "police-force"
# neither jwks_url nor jwks_file: no keys to check its tokens with
"""


@pytest.fixture
def mistakes(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "partners.toml").write_text(PARTNERS, encoding="utf-8")
    (tmp_path / "issuers.toml").write_text(ISSUERS, encoding="utf-8")
    return {
        "HUB_PARTNERS_FILE": str(tmp_path / "partners.toml"),
        "HUB_TRUSTED_ISSUERS_FILE": str(tmp_path / "issuers.toml"),
        "HUB_MAX_QUERY_DEPTH": "0",  # a bad setting: at least 1
        "HUB_DATA_DIR": str(tmp_path / "data"),
    }


def test_every_mistake_is_reported_at_once(mistakes: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in mistakes.items():
        monkeypatch.setenv(key, value)

    with pytest.raises(ConfigurationError) as caught:
        check_configuration()

    text = str(caught.value)
    assert "HUB_MAX_QUERY_DEPTH" in text
    assert "'westmarch'" in text and "base_url" in text
    assert "'northshire'" in text
    assert "jwks_url" in text
    assert len(caught.value.problems) == 4


def test_a_good_configuration_gives_its_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "partners.toml").write_text(
        '[[partners]]\nname = "westmarch"\nkind = "rest"\n[partners.connection]\n'
        'base_url = "http://127.0.0.1:9"\nclient_id = "hub"\nclient_secret = "s"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("HUB_MAX_QUERY_DEPTH", "7")

    settings = check_configuration(tmp_path / "partners.toml")

    assert settings.max_query_depth == 7 and settings.partners_file == tmp_path / "partners.toml"


@pytest.mark.slow
def test_hub_serve_prints_every_mistake_and_exits_non_zero_without_listening(
    mistakes: dict[str, str],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hub", "serve", "--port", "0"],
        env={**os.environ, **mistakes},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    for expected in ("HUB_MAX_QUERY_DEPTH", "'westmarch'", "'northshire'", "jwks_url"):
        assert expected in result.stderr, result.stderr
    assert "Uvicorn running" not in result.stderr + result.stdout
