"""A search asks every partner at once: their request intervals overlap, as the partners recorded them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event

from tests.hub.queries import SEARCH_IDS
from tests.support import HubClient, Partner


async def test_search_calls_all_partners_concurrently(
    hub: HubClient, southmoor: Partner, eastvale: Partner
) -> None:
    # Latency makes each HTTP partner's interval long enough that sequential calls could not overlap.
    southmoor.faults.update({"latency_ms": 300})
    eastvale.faults.update({"latency_ms": 300})
    sql_started: list[float] = []

    def started(*args: Any) -> None:
        sql_started.append(time.monotonic())

    engine = hub.connector("northshire").engine.sync_engine
    event.listen(engine, "before_cursor_execute", started)
    try:
        body = await hub.query(SEARCH_IDS, {"criteria": {"familyName": "Smith"}})
    finally:
        event.remove(engine, "before_cursor_execute", started)

    assert {p["outcome"] for p in body["data"]["searchPersons"]["partners"]} == {"OK"}
    [rest] = [e for e in southmoor.log.snapshot() if e["kind"] == "search"]
    [graphql] = [e for e in eastvale.log.snapshot() if e["kind"] == "search"]
    # Each interval starts before the other ends: the two requests were in flight together.
    assert rest["started"] < graphql["ended"] and graphql["started"] < rest["ended"]
    # The SQL partner was asked before either HTTP partner had answered: nobody waited for anybody.
    assert sql_started and sql_started[0] < min(rest["ended"], graphql["ended"])
