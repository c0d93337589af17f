"""The benchmark's parts that need no process: the partners file it writes, how it reads responses, how it
sorts requests and sums them up. No timing is asserted."""

from __future__ import annotations

import tomllib
from pathlib import Path

import httpx
import pytest

from bench import _run
from bench._drive import Sample, audit_ms, sample
from bench._report import from_samples, percentile
from bench._scenarios import Corpus, Scenario, catalogue
from bench._stack import HubSetup, write_partners_file
from bench._wrk import _lua_string
from hub.config.partners_file import load_partners

URLS = {name: f"sqlite+aiosqlite:////data/{name}.db" for name in ("northshire", "southmoor", "eastvale")}
ENDPOINTS = {"southmoor": "http://127.0.0.1:1", "eastvale": "http://127.0.0.1:2"}


def scenarios() -> dict[str, Scenario]:
    return catalogue(
        {"southmoor": 40.0, "eastvale": 60.0},
        requests=100,
        concurrency=4,
        slow=("eastvale", 2000.0),
        slow_timeout=1.0,
        down=("southmoor", "error"),
        down_switches={"mode": "error"},
        duration=5.0,
        throughput_connections=16,
    )


def test_the_partners_file_it_writes_is_one_the_hub_accepts_with_the_changed_keys(tmp_path: Path) -> None:
    setup = HubSetup(keys=(("eastvale", (("timeout", 1.0), ("breaker_threshold", 1_000_000))),))
    path = tmp_path / "partners.toml"
    write_partners_file(path, URLS, ENDPOINTS, setup)

    partners = {p.name: p for p in load_partners(path)}

    assert set(partners) == {"northshire", "southmoor", "eastvale"}
    assert partners["eastvale"].timeout == 1.0 and partners["eastvale"].breaker_threshold == 1_000_000
    assert partners["southmoor"].timeout == 5.0 and partners["southmoor"].breaker_threshold == 5
    assert partners["southmoor"].connection["base_url"] == "http://127.0.0.1:1"


def test_a_partners_file_for_the_sql_partner_alone_names_no_other(tmp_path: Path) -> None:
    path = tmp_path / "partners.toml"
    write_partners_file(path, {"northshire": URLS["northshire"]}, {}, HubSetup(partners=("northshire",)))

    assert [p["name"] for p in tomllib.loads(path.read_text())["partners"]] == ["northshire"]


def test_the_audit_time_is_read_from_server_timing_among_other_entries() -> None:
    assert audit_ms("audit;dur=2.31") == 2.31
    assert audit_ms('db;dur=5, audit;desc="write";dur=0.75') == 0.75
    assert audit_ms("db;dur=5") is None and audit_ms(None) is None


def test_a_response_becomes_a_sample_with_its_codes_partners_and_audit_time() -> None:
    body = {
        "data": {"searchPersons": {"people": [{"warningMarkers": [{"code": "FI"}]}]}},
        "errors": [{"message": "x", "extensions": {"code": "PARTNER_TIMEOUT", "partner": "eastvale"}}],
        "extensions": {
            "partners": [{"name": "eastvale", "outcome": "timeout", "latencyMs": 1000, "calls": 1}]
        },
    }
    response = httpx.Response(200, json=body, headers={"server-timing": "audit;dur=3.50"})

    got = sample(12.0, response)

    assert got.codes == ["PARTNER_TIMEOUT"] and got.has_data and got.audit_ms == 3.5
    assert got.partners[0]["outcome"] == "timeout"


def test_percentiles_are_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([], 50) is None


def test_partner_errors_make_partial_answers_and_anything_else_a_failure() -> None:
    scenario = scenarios()["partner-down"]
    eastvale = {"name": "eastvale", "outcome": "ok", "latencyMs": 61.0, "calls": 1}
    southmoor = {"name": "southmoor", "outcome": "bad-response", "latencyMs": 41.0, "calls": 2}
    samples = [
        Sample(70.0, 200, [], True, [eastvale], 1.0),
        Sample(80.0, 200, ["PARTNER_BAD_RESPONSE"], True, [eastvale, southmoor], 2.0),
        Sample(90.0, 200, ["UNAUTHORIZED_FIELD_OR_TYPE"], True, [eastvale], 3.0),
        Sample(5.0, 503, ["AUDIT_UNAVAILABLE"], False, [], None),
        Sample(1.0, 0),
    ]

    figures = from_samples(scenario, samples, 1.0, "hub #1", 100.0, "httpx")

    assert (figures.answered, figures.partial, figures.failed) == (1, 1, 3)
    assert figures.http_errors == {"503": 1, "no response": 1}
    assert figures.graphql_errors["PARTNER_BAD_RESPONSE"] == 1
    assert figures.partner_outcomes["southmoor"] == {"bad-response": 1}
    assert figures.floor_ms == 60.0 and figures.partner_calls_per_request == 1.67  # 5 calls, 3 requests


def test_the_slow_partner_floor_is_its_timeout_and_northshire_has_no_added_latency() -> None:
    slow = scenarios()["slow-partner"]
    assert slow.added_latency_ms() == {"northshire": None, "southmoor": 40.0, "eastvale": 1000.0}


def test_fifty_people_bodies_ask_for_fifty_even_from_fewer_ids() -> None:
    bodies = Corpus(ids=[f"P{i}" for i in range(7)]).fifty()
    assert bodies and all(body["query"].count("person(id:") == 50 for body in bodies)


def test_lua_strings_survive_any_closing_bracket() -> None:
    assert _lua_string('{"q":"]]"}') == '[=[{"q":"]]"}]=]'


def test_without_wrk_the_throughput_falls_back_to_httpx_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_run, "wrk_path", lambda: None)

    generator, note = _run.choose_generator("wrk")

    assert generator == "httpx" and note is not None and "not installed" in note
    assert _run.choose_generator(None)[0] == "httpx"


def test_the_watch_benchmark_times_detection_to_delivery(tmp_path: Path) -> None:
    import asyncio

    from bench.watches import run

    figures = asyncio.run(
        run(watches=20, changes=4, rate=20, poll=0.1, people=30, new_records=0.5, data=tmp_path)
    )

    # Every arrest told, the two under a new subject record too (matched to their watches first).
    assert figures["changes"] == 4 and figures["new_records"] == 2 and figures["polls"] >= 1
    assert 0 < figures["p50_ms"] <= figures["p99_ms"]


@pytest.mark.parametrize("channel", ["redis", "postgres"])
async def test_the_fanout_benchmark_times_each_notification_to_the_other_replica(channel: str) -> None:
    import os

    from bench.fanout import measure
    from hub.db import create_engine
    from hub.watches.fanout import PostgresFanout, RedisFanout, Relay

    url = os.environ.get("HUB_TEST_REDIS_URL" if channel == "redis" else "HUB_TEST_DATABASE_URL")
    if not url:
        pytest.skip(f"no {channel} for tests here")
    engine = create_engine(url) if channel == "postgres" else None
    relays: list[Relay] = (
        [RedisFanout(url, 1.0), RedisFanout(url, 1.0)]
        if engine is None
        else [PostgresFanout(engine), PostgresFanout(engine)]
    )
    try:
        figures = await measure(relays[0], relays[1], count=20, rate=200, chars=8000)  # two NOTIFYs each
    finally:
        if engine is not None:
            await engine.dispose()

    assert 0 < figures["p50_ms"] <= figures["p99_ms"] and figures["cpu_us_per_notification"] >= 0
