"""The partners file: read, validated, and every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.contract import Capability
from hub.config.partners_file import PartnersFileError, load_partners, parse_partners


def test_valid_file_gives_partner_configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_FROM_ENV", "s3cret")
    path = tmp_path / "partners.toml"
    path.write_text(
        """
[[partners]]
name = "alpha"
kind = "rest"
title = "Alpha Police"
timeout = 2.5
capabilities = ["search", "people"]
[partners.connection]
base_url = "http://127.0.0.1:1"
client_id = "hub"
client_secret = "${SECRET_FROM_ENV}"
"""
    )

    [config] = load_partners(path)

    assert config.name == "alpha" and config.kind == "rest" and config.timeout == 2.5
    assert config.connection["client_secret"] == "s3cret"
    assert config.capabilities == {Capability.SEARCH, Capability.PEOPLE}
    assert config.display_name == "Alpha Police"


def test_every_problem_is_reported_at_once() -> None:
    document = {
        "partners": [
            {"name": "Bad Name", "kind": "rest"},
            {"name": "two", "kind": "carrier-pigeon", "timeout": -1},
            {"name": "three", "kind": "sql", "colour": "blue", "capabilities": ["search", "gossip"]},
            {"name": "four", "kind": "sql", "connection": {"url": "${NOT_SET_ANYWHERE_42}"}},
            {"name": "three", "kind": "sql"},
        ]
    }

    with pytest.raises(PartnersFileError) as raised:
        parse_partners(document)

    message = str(raised.value)
    for expected in [
        "'Bad Name'",
        "'carrier-pigeon'",
        "'timeout'",
        "unknown key 'colour'",
        "'gossip'",
        "NOT_SET_ANYWHERE_42",
        "partner 'three' is configured more than once",
    ]:
        assert expected in message


def test_unreadable_and_invalid_toml_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(PartnersFileError, match="Cannot read"):
        load_partners(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[partners]\nname=")
    with pytest.raises(PartnersFileError, match="not valid TOML"):
        load_partners(bad)


def test_empty_file_is_refused() -> None:
    with pytest.raises(PartnersFileError, match="at least one"):
        parse_partners({})
