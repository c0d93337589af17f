"""`hub connectors list`: the installed kinds, their package, where they are defined and what they can offer,
as a table or JSON; a kind registered in process is listed too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from connectors import registry
from connectors.contract import BaseConnector, Capability
from hub.cli import cli


class _Niche(BaseConnector):
    kind = "niche"
    supported = frozenset({Capability.SEARCH, Capability.PEOPLE})


@pytest.fixture
def niche() -> Iterator[None]:
    registry.register("niche", _Niche)
    yield
    registry._registered.pop("niche", None)


def test_the_built_in_kinds_are_listed_with_their_capabilities() -> None:
    result = CliRunner().invoke(cli, ["connectors", "list"])

    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["KIND", "PACKAGE", "CAPABILITIES", "DEFINED", "IN"]
    listed = {row.split()[0]: row for row in rows}
    assert set(listed) >= {"graphql", "rest", "sql"}
    assert "custody,intelligence,markers,people,safeguarding,search" in listed["sql"]
    assert "connectors.sql:SqlConnector" in listed["sql"] and "police-hub" in listed["sql"]


def test_json_lists_a_kind_registered_in_process(niche: None) -> None:
    result = CliRunner().invoke(cli, ["connectors", "list", "--json"])

    assert result.exit_code == 0, result.output
    kinds = {k["name"]: k for k in json.loads(result.stdout)}
    assert kinds["niche"]["package"] == "in-process"
    assert kinds["niche"]["capabilities"] == ["people", "search"]
    assert kinds["niche"]["target"].endswith(":_Niche") and kinds["niche"]["problem"] is None
