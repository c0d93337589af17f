"""The example third-party connector (examples/csv_exports, a force's nightly CSV exports over HTTP) is
what docs/connectors.md promises an author: installed as a package, registered through its entry point,
certified by the conformance suite, and its records merged in a federated search with the built-in
partners'."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from csv_exports.testing import SAMPLE, partner_config, serve

from connectors.registry import describe
from tests.hub.queries import PERSON, SEARCH_IDS
from tests.support import Partner, open_hub, partner_configs


def test_the_package_registers_its_kind_through_its_entry_point() -> None:
    [kind] = [k for k in describe() if k.name == "csv-export"]
    assert kind.package == "hub-csv-exports" and kind.problem is None
    assert kind.target == "csv_exports.connector:CsvExportConnector"
    assert kind.capabilities == ("custody", "people", "search")


def test_the_package_passes_the_conformance_suite(repo_root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs",
         "--conformance-target=csv_exports.testing:conformance_target"],
        cwd=repo_root, env={**os.environ}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "passed" in done.stdout and "failed" not in done.stdout
    assert "westmarch does not offer intelligence" in done.stdout  # held to what it declares


async def test_its_records_are_merged_in_a_federated_search_with_the_built_in_partners(
    demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner
) -> None:
    _, url = serve(SAMPLE)
    configs = [*partner_configs(demo_urls, southmoor.url, eastvale.url), partner_config(url)]
    async for hub in open_hub(configs):
        found = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Kilbride"}})
        [darren] = found["data"]["searchPersons"]["people"]
        body = await hub.query(PERSON, {"id": darren["id"]})

    partners = {s["partner"] for s in darren["sources"]}
    assert partners == {"northshire", "southmoor", "eastvale", "westmarch"}, "one person, four forces"
    assert {"partner": "westmarch", "recordId": "WM-0001"} in [
        {"partner": s["partner"], "recordId": s["recordId"]} for s in darren["sources"]
    ]
    custody = body["data"]["person"]["custody"]
    assert "WMC-1001" in {c["id"] for c in custody}, "Westmarch's custody record is among the others"
    assert {p["name"] for p in body["extensions"]["partners"]} >= {"westmarch"}
