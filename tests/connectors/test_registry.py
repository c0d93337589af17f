"""Connector kinds as installed packages declare them: two packages claiming one kind name, a kind nobody
installed, and partners with invalid settings each stop the start, every problem listed at once."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.contract import PartnerConfig
from connectors.errors import ConnectorConfigError
from connectors.registry import build, describe
from hub.config.check import ConfigurationError, check_configuration


def _installed(site: Path, name: str, version: str, target: str) -> None:
    """A package as pip leaves it: its metadata and its `hub.connectors` entry point."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[hub.connectors]\n{target}\n")


@pytest.fixture
def two_packages_claim_niche(tmp_path: Path) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    _installed(site, "acme-niche", "1.0", "niche = acme_niche:NicheConnector")
    _installed(site, "other-niche", "2.0", "niche = other_niche.kind:Niche")
    sys.path.insert(0, str(site))
    try:
        yield site
    finally:
        sys.path.remove(str(site))


def test_a_kind_two_packages_declare_is_refused_naming_both(two_packages_claim_niche: Path) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        build(PartnerConfig(name="westmarch", kind="niche"))

    message = str(caught.value)
    assert "'niche'" in message
    assert "acme-niche (acme_niche:NicheConnector)" in message
    assert "other-niche (other_niche.kind:Niche)" in message
    [listed] = [k for k in describe() if k.name == "niche"]
    assert listed.problem is not None and "more than one installed package" in listed.problem


PARTNERS = """
[[partners]]
name = "westmarch"
kind = "niche"

[[partners]]
name = "fenwick"
kind = "no-such-kind"

[[partners]]
name = "southmoor"
kind = "rest"
[partners.connection]
base_url = "not a url"
client_id = "hub"
client_secret = "s"

[[partners]]
name = "eastvale"
kind = "graphql"
[partners.connection]
url = "ftp://eastvale.example/graphql"
"""


def test_duplicate_and_unknown_kinds_and_bad_settings_stop_the_start_listing_every_problem(
    two_packages_claim_niche: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    partners = tmp_path / "partners.toml"
    partners.write_text(PARTNERS, encoding="utf-8")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))

    with pytest.raises(ConfigurationError) as caught:
        check_configuration(partners)

    problems = caught.value.problems
    assert len(problems) == 4, problems
    by_partner = {name: [p for p in problems if f"'{name}'" in p] for name in PARTNERS_NAMES}
    assert all(len(found) == 1 for found in by_partner.values()), by_partner
    assert "more than one installed package" in by_partner["westmarch"][0]
    assert "'no-such-kind'" in by_partner["fenwick"][0] and "known kinds" in by_partner["fenwick"][0]
    assert "base_url" in by_partner["southmoor"][0]
    assert "connection.url" in by_partner["eastvale"][0]


PARTNERS_NAMES = ("westmarch", "fenwick", "southmoor", "eastvale")
