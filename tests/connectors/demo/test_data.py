"""The demo forces' synthetic data: deterministic, overlapping, well-formed, showcase people included."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from connectors.canonical import HEALTH_MARKER_CODES, MarkerCode
from connectors.demo import layout
from connectors.demo.data import FORCES, SHOWCASE, populate, population
from connectors.pnc import parse_pnc_id

PEOPLE = 200
REF_COLUMNS = (
    ("nominal", "nominal_ref"),
    ("intel_log", "log_ref"),
    ("custody_event", "custody_ref"),
    ("vulnerability_referral", "referral_ref"),
)
Tables = dict[str, list[dict[str, Any]]]


def sqlite_urls(folder: Path, forces: tuple[str, ...] = tuple(FORCES)) -> dict[str, str]:
    return {force: f"sqlite+aiosqlite:///{folder / f'{force}.db'}" for force in forces}


async def dump(url: str) -> Tables:
    """Every table's rows, in primary-key order, read back through SQLAlchemy (so any dialect compares)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables: Tables = {}
            for table in layout.metadata.sorted_tables:
                result = await conn.execute(select(table).order_by(*table.primary_key.columns))
                tables[table.name] = [dict(row._mapping) for row in result]
            return tables
    finally:
        await engine.dispose()


async def dump_all(urls: Mapping[str, str]) -> dict[str, Tables]:
    return {force: await dump(url) for force, url in urls.items()}


class Demo:
    def __init__(self, counts: dict[str, int], forces: dict[str, Tables]) -> None:
        self.counts = counts
        self.forces = forces

    def rows(self, table: str) -> list[tuple[str, dict[str, Any]]]:
        return [(force, row) for force, tables in self.forces.items() for row in tables[table]]

    def nominal(self, force: str, ref: str) -> dict[str, Any]:
        return next(row for row in self.forces[force]["nominal"] if row["nominal_ref"] == ref)

    def of(self, force: str, table: str, ref: str) -> list[dict[str, Any]]:
        return [row for row in self.forces[force][table] if row["nominal_ref"] == ref]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    urls = sqlite_urls(tmp_path_factory.mktemp("demo-data"))
    messages: list[str] = []
    counts = asyncio.run(populate(urls, PEOPLE, seed=2026, progress=messages.append))
    assert f"northshire: {PEOPLE}/{PEOPLE} nominals" in messages
    return Demo(counts, asyncio.run(dump_all(urls)))


async def test_the_same_people_and_seed_write_identical_databases(demo: Demo, tmp_path: Path) -> None:
    urls = sqlite_urls(tmp_path)
    assert await populate(urls, PEOPLE, seed=2026) == demo.counts
    assert await dump_all(urls) == demo.forces


async def test_another_seed_writes_other_people(demo: Demo, tmp_path: Path) -> None:
    urls = sqlite_urls(tmp_path, ("southmoor",))
    await populate(urls, PEOPLE, seed=7)
    other = await dump(urls["southmoor"])
    assert other["nominal"] != demo.forces["southmoor"]["nominal"]


async def test_a_force_loaded_alone_matches_the_same_force_loaded_with_the_others(
    demo: Demo, tmp_path: Path
) -> None:
    urls = sqlite_urls(tmp_path, ("eastvale",))
    await populate(urls, PEOPLE, seed=2026)
    assert await dump(urls["eastvale"]) == demo.forces["eastvale"]


async def test_worker_processes_write_the_same_rows(demo: Demo, tmp_path: Path) -> None:
    urls = sqlite_urls(tmp_path, ("northshire", "southmoor"))
    messages: list[str] = []
    await populate(urls, PEOPLE, seed=2026, progress=messages.append, workers=2)
    assert await dump_all(urls) == {force: demo.forces[force] for force in urls}
    assert f"southmoor: {PEOPLE}/{PEOPLE} nominals" in messages


async def test_an_unknown_force_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'westmarch'"):
        await populate({"westmarch": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"}, 10)


def test_population_streams_in_bounded_batches() -> None:
    batches = list(population(250, forces=["southmoor"], batch_people=100))
    assert [len(batch["nominal"]) for _, batch in batches] == [3, 100, 100, 50]  # the showcase batch first


def test_row_counts_are_those_written_and_plausible(demo: Demo) -> None:
    for table, count in demo.counts.items():
        assert count == sum(len(tables[table]) for tables in demo.forces.values())
    showcase = sum(len(person.forces) for person in SHOWCASE)
    assert demo.counts["nominal"] == 3 * PEOPLE + showcase
    people = demo.counts["nominal"]
    assert people <= demo.counts["nominal_address"] <= 2 * people
    assert 0.4 * people <= demo.counts["intel_log"] <= 1.4 * people
    assert 0.25 * people <= demo.counts["custody_event"] <= 0.9 * people
    assert demo.counts["custody_event"] <= demo.counts["custody_offence"] <= 3 * demo.counts["custody_event"]
    assert 0.25 * people <= demo.counts["warning_signal"] <= 0.8 * people
    assert 0.08 * people <= demo.counts["vulnerability_referral"] <= 0.4 * people


def test_every_child_row_belongs_to_a_nominal_of_its_own_force(demo: Demo) -> None:
    for force, tables in demo.forces.items():
        refs = {row["nominal_ref"] for row in tables["nominal"]}
        for table in layout.metadata.sorted_tables:
            if "nominal_ref" in table.c and table.name != "nominal":
                assert {row["nominal_ref"] for row in tables[table.name]} <= refs, (force, table.name)
        custody = {row["custody_ref"] for row in tables["custody_event"]}
        assert {row["custody_ref"] for row in tables["custody_offence"]} <= custody


def test_record_refs_carry_the_force_prefix_and_are_unique(demo: Demo) -> None:
    for force, tables in demo.forces.items():
        prefix = FORCES[force].ref_prefix
        for table, key in REF_COLUMNS:
            refs = [row[key] for row in tables[table]]
            assert len(set(refs)) == len(refs)
            assert all(ref.startswith(prefix) and ref[len(prefix) :][-6:].isdigit() for ref in refs)
    assert demo.nominal("southmoor", "SM-000100")["nominal_ref"] == "SM-000100"


def test_coded_columns_hold_only_their_codes(demo: Demo) -> None:
    def values(table: str, column: str) -> set[Any]:
        return {row[column] for _, row in demo.rows(table)}

    assert values("nominal", "sex") <= {"M", "F", "U"}
    assert values("vulnerability_referral", "referral_type") == {"DA", "CP", "ENC", "MISS"}
    assert values("custody_event", "disposal") <= {"CHARGED", "BAIL", "RUI", "NFA", "CAUTION", None}
    assert values("intel_log", "source_grade") == {"1", "2", "3"}
    assert values("intel_log", "intel_grade") <= set("ABCDE")
    assert values("intel_log", "handling_code") == {"P", "C"}
    assert values("intel_log", "protective_marking") == {"OFFICIAL-SENSITIVE"}
    codes = values("warning_signal", "signal_code")
    assert codes <= {code.value for code in MarkerCode}
    assert codes & HEALTH_MARKER_CODES and codes - HEALTH_MARKER_CODES


def test_records_are_well_formed(demo: Demo) -> None:
    for _, row in demo.rows("nominal"):
        assert date(1950, 1, 1) <= row["birth_date"] <= date(2010, 12, 31)
        assert row["surname_key"] == layout.search_key(row["surname"])
    for _, row in demo.rows("nominal_alias"):
        assert row["surname_key"] == layout.search_key(row["surname"])
    for force, row in demo.rows("nominal_address"):
        area = {"northshire": "NS", "southmoor": "SM", "eastvale": "EV"}[force]
        assert re.fullmatch(rf"{area}\d{{1,2}} \d[ABD-HJLNP-UW-Z]{{2}}", row["postcode"]), row["postcode"]
    for _, row in demo.rows("intel_log"):
        assert (row["handling_code"] == "C") == bool(row["handling_conditions"])
        assert len(row["full_text"]) > len(row["summary_text"])
    for force, row in demo.rows("custody_event"):
        code = FORCES[force].ref_prefix.rstrip("-")
        assert re.fullmatch(rf"{code}/{row['arrested_at']:%y}/\d{{6}}", row["custody_number"])
        assert re.fullmatch(r"PS \d{4} \S.*", row["authorised_by"])
        assert (row["released_at"] is None) == (row["disposal"] is None)
        assert row["released_at"] is None or row["released_at"] > row["arrested_at"]
        assert row["risk_flags"] is None or all(row["risk_flags"].split(";"))
    for _, row in demo.rows("vulnerability_referral"):
        assert re.fullmatch(r".+, 01632 960\d{3}", row["contact_point"])
        assert (row["children_present"] is not None) == (row["referral_type"] in {"DA", "ENC"})


def test_every_pnc_id_is_valid_and_issued_after_the_tenth_birthday(demo: Demo) -> None:
    pnc_ids = [(row["pnc_ref"], row["birth_date"]) for _, row in demo.rows("nominal") if row["pnc_ref"]]
    assert len(pnc_ids) > PEOPLE
    for pnc_id, born in pnc_ids:
        year, _ = parse_pnc_id(pnc_id)
        assert born.year + 10 <= year <= 2025


def test_the_same_people_appear_in_two_and_three_forces(demo: Demo) -> None:
    holders: dict[str, set[str]] = {}
    for force, row in demo.rows("nominal"):
        if row["pnc_ref"]:
            holders.setdefault(row["pnc_ref"], set()).add(force)
    spread = Counter(len(forces) for forces in holders.values())
    assert spread[2] >= 10 and spread[3] >= 3
    for pnc_id in holders:  # the same person: same date of birth and sex everywhere
        copies = [row for _, row in demo.rows("nominal") if row["pnc_ref"] == pnc_id]
        assert len({(row["birth_date"], row["sex"]) for row in copies}) == 1, pnc_id
    # Roughly 35% of each force's people are shared; name typos and missing PNC IDs hide a few of them.
    keys = {
        force: {(row["birth_date"], row["surname_key"]) for row in tables["nominal"]}
        for force, tables in demo.forces.items()
    }
    north = keys["northshire"]
    shared = len(north & (keys["southmoor"] | keys["eastvale"])) / len(north)
    assert 0.25 <= shared <= 0.45
    given = {row["forenames"].split()[0] for _, row in demo.rows("nominal")}
    assert len(given) > 100


def test_each_force_knows_its_own_incidents_about_a_shared_person(demo: Demo) -> None:
    holders = Counter(row["pnc_ref"] for _, row in demo.rows("nominal") if row["pnc_ref"])
    three = {pnc_id for pnc_id, copies in holders.items() if copies == 3}
    assert three
    addresses: set[tuple[str, str]] = set()
    for force, row in demo.rows("nominal"):
        if row["pnc_ref"] in three:
            addresses |= {
                (a["line1"], a["postcode"]) for a in demo.of(force, "nominal_address", row["nominal_ref"])
            }
    assert len(addresses) >= 3 * len(three)


def test_darren_kilbride_is_in_every_force_with_the_story_the_readme_tells(demo: Demo) -> None:
    darren = SHOWCASE[0]
    assert (darren.given_name, darren.family_name, darren.date_of_birth) == (
        "Darren",
        "Kilbride",
        date(1984, 3, 12),
    )
    assert darren.forces == ("northshire", "southmoor", "eastvale")
    copies = {force: demo.nominal(force, darren.ref(force)) for force in darren.forces}
    pnc_ids = {force: row["pnc_ref"] for force, row in copies.items()}
    assert pnc_ids == {"northshire": darren.pnc_id, "southmoor": darren.pnc_id, "eastvale": None}
    assert [row["forenames"] for row in copies.values()] == ["Darren", "Daren", "Darren"]
    assert all(row["birth_date"] == darren.date_of_birth for row in copies.values())
    markers = {
        m["signal_code"]
        for force in darren.forces
        for m in demo.of(force, "warning_signal", darren.ref(force))
    }
    assert {"FI", "VI"} <= markers
    intel = demo.of("northshire", "intel_log", darren.ref("northshire"))
    assert {row["handling_code"] for row in intel} == {"P", "C"}
    assert all(demo.of(force, "custody_event", darren.ref(force)) for force in darren.forces)
    (referral,) = demo.of("northshire", "vulnerability_referral", darren.ref("northshire"))
    assert referral["referral_type"] == "DA" and referral["children_present"] is True


def test_kilbride_belongs_to_the_showcase_alone(demo: Demo) -> None:
    for force, tables in demo.forces.items():
        for table in ("nominal", "nominal_alias"):
            refs = {row["nominal_ref"] for row in tables[table] if row["surname_key"] == "KILBRIDE"}
            assert refs <= {SHOWCASE[0].ref(force)}
        assert any(row["surname_key"] == "SMITH" for row in tables["nominal"]), force


def test_chloe_marsh_has_referrals_and_missing_episodes_but_no_intelligence(demo: Demo) -> None:
    chloe = next(person for person in SHOWCASE if person.family_name == "Marsh")
    assert len(chloe.forces) == 2 and chloe.pnc_id is None
    for force in chloe.forces:
        ref = chloe.ref(force)
        assert demo.nominal(force, ref)["birth_date"] == date(2008, 6, 30)
        assert {row["referral_type"] for row in demo.of(force, "vulnerability_referral", ref)} == {
            "CP",
            "MISS",
        }
        assert not demo.of(force, "intel_log", ref)


def test_jamie_okafor_can_only_be_matched_by_name_and_date_of_birth(demo: Demo) -> None:
    jamie = next(person for person in SHOWCASE if person.family_name == "Okafor")
    assert jamie.forces == ("southmoor", "eastvale") and jamie.pnc_id is None
    for force in jamie.forces:
        ref = jamie.ref(force)
        row = demo.nominal(force, ref)
        assert row["pnc_ref"] is None and row["birth_date"] == date(1995, 11, 2)
        assert row["forenames"].startswith("Jamie")
        assert "DR" in {m["signal_code"] for m in demo.of(force, "warning_signal", ref)}
        assert demo.of(force, "custody_event", ref)


def test_margaret_obrien_has_a_health_marker_and_her_maiden_name(demo: Demo) -> None:
    margaret = next(person for person in SHOWCASE if person.family_name == "O'Brien")
    assert margaret.forces == ("northshire",)
    ref = margaret.ref("northshire")
    assert demo.nominal("northshire", ref)["birth_date"] == date(1961, 1, 20)
    assert [m["signal_code"] for m in demo.of("northshire", "warning_signal", ref)] == ["MN"]
    aliases = [(a["forenames"], a["surname"]) for a in demo.of("northshire", "nominal_alias", ref)]
    assert aliases == [("Margaret", "Doyle")]


def test_showcase_people_are_the_only_holders_of_their_name_and_birth_date(demo: Demo) -> None:
    for person in SHOWCASE:
        key = (layout.search_key(person.family_name), person.date_of_birth)
        for force, row in demo.rows("nominal"):
            if (row["surname_key"], row["birth_date"]) == key:
                assert row["nominal_ref"] == person.ref(force)
        assert person.note.endswith(".")


@pytest.fixture
async def private_postgres() -> AsyncIterator[str]:
    """A database of its own on the test server: other tests load their forces into the shared one."""
    base = os.environ.get("HUB_TEST_DATABASE_URL")
    if not base:
        pytest.skip("HUB_TEST_DATABASE_URL is not set")
    name = f"hub_demo_data_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            try:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            except Exception as exc:  # no CREATEDB right: do not risk the shared database
                pytest.skip(f"cannot create a private database on the test server: {exc}")
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def test_postgresql_holds_the_same_rows_as_sqlite(demo: Demo, private_postgres: str) -> None:
    counts = await populate({"eastvale": private_postgres}, PEOPLE, seed=2026)
    assert counts["nominal"] == len(demo.forces["eastvale"]["nominal"])
    assert await dump(private_postgres) == demo.forces["eastvale"]
