"""`hub demo arrest --person NAME`: the running demo's Eastvale arrests someone, as its custody system would
record it, and its change feed shows it (what a watch on that person is told)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from connectors.contract import Capability, PartnerConfig
from connectors.demo.cli import demo
from connectors.demo.embedded import partners_toml
from connectors.graphql import GraphQLConnector
from tests.support import Partner


@pytest.fixture
def running_demo(
    demo_urls: dict[str, str], southmoor: Partner, own_eastvale: Partner, tmp_path: Path
) -> tuple[Path, GraphQLConnector]:
    """A demo's data directory naming an Eastvale of the test's own, and a reader of that Eastvale's feed."""
    data = tmp_path / "demo"
    data.mkdir()
    (data / "partners.toml").write_text(
        partners_toml(demo_urls, {"southmoor": southmoor.url, "eastvale": own_eastvale.url}), encoding="utf-8"
    )
    config = PartnerConfig("eastvale", "graphql", connection={"url": f"{own_eastvale.url}/graphql"})
    return data, GraphQLConnector(config)


async def test_eastvale_arrests_the_person_named_and_its_feed_shows_it(
    running_demo: tuple[Path, GraphQLConnector],
) -> None:
    data, feed = running_demo
    async with feed:
        start = await feed.changes(None, 10)

        done = CliRunner().invoke(demo, ["arrest", "--person", "Darren Kilbride", "--data-dir", str(data)])

        assert done.exit_code == 0, done.output
        assert "Eastvale arrested Darren Kilbride" in done.output
        [change] = (await feed.changes(start.cursor, 10)).changes
    assert change.kind is Capability.CUSTODY and change.record_id in done.output


async def test_as_new_eastvale_makes_a_new_subject_first_with_his_birth_date_and_no_pnc_number(
    running_demo: tuple[Path, GraphQLConnector],
) -> None:
    data, feed = running_demo
    async with feed:
        start = await feed.changes(None, 10)

        done = CliRunner().invoke(
            demo,
            ["arrest", "--person", "Darren Kilbride", "--as-new", "Daren Kilbride", "--data-dir", str(data)],
        )

        assert done.exit_code == 0, done.output
        assert "as a new subject, Daren Kilbride" in done.output
        made, arrested = (await feed.changes(start.cursor, 10)).changes
        [record] = (await feed.get_people([made.record_id])).values()
    assert made.kind is Capability.PEOPLE and made.person_record_id == made.record_id
    assert arrested.kind is Capability.CUSTODY and arrested.person_record_id == made.record_id
    assert record.names[0].given_name == "Daren" and record.pnc_id is None
    assert record.date_of_birth is not None and record.date_of_birth.isoformat() == "1984-03-12"


def test_without_a_running_demo_it_says_so(tmp_path: Path) -> None:
    done = CliRunner().invoke(demo, ["arrest", "--person", "Darren Kilbride", "--data-dir", str(tmp_path)])

    assert done.exit_code == 1 and "start `hub demo` first" in done.output
