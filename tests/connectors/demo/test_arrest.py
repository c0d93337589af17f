"""`hub demo arrest --person NAME`: the running demo's Eastvale arrests someone, as its custody system would
record it, and its change feed shows it (what a watch on that person is told)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from connectors.contract import Capability, PartnerConfig
from connectors.demo.cli import demo
from connectors.demo.embedded import partners_toml
from connectors.graphql import GraphQLConnector
from tests.support import Partner


async def test_eastvale_arrests_the_person_named_and_its_feed_shows_it(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner, tmp_path: Path
) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / "partners.toml").write_text(
        partners_toml(demo_urls, {"southmoor": southmoor.url, "eastvale": own_eastvale.url}), encoding="utf-8"
    )
    feed = GraphQLConnector(
        PartnerConfig("eastvale", "graphql", connection={"url": f"{own_eastvale.url}/graphql"})
    )
    async with feed:
        start = await feed.changes(None, 10)

        done = CliRunner().invoke(demo, ["arrest", "--person", "Darren Kilbride", "--data-dir", str(data)])

        assert done.exit_code == 0, done.output
        assert "Eastvale arrested Darren Kilbride" in done.output
        [change] = (await feed.changes(start.cursor, 10)).changes
    assert change.kind is Capability.CUSTODY and change.record_id in done.output


def test_without_a_running_demo_it_says_so(tmp_path: Path) -> None:
    done = CliRunner().invoke(demo, ["arrest", "--person", "Darren Kilbride", "--data-dir", str(tmp_path)])

    assert done.exit_code == 1 and "start `hub demo` first" in done.output
