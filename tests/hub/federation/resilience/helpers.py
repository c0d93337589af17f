"""Helpers for the resilience tests: partner configurations with tuned guards, waiting on a breaker's state,
and reading partner statuses and request logs."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from connectors.contract import PartnerConfig
from hub.federation.breaker import Breaker, BreakerState
from tests.support import HubClient


def tuned(configs: list[PartnerConfig], partner: str, **changes: Any) -> list[PartnerConfig]:
    """`configs` with `partner`'s configuration changed (as its partners-file keys would)."""
    return [dataclasses.replace(c, **changes) if c.name == partner else c for c in configs]


def breaker(hub: HubClient, partner: str) -> Breaker:
    breaker: Breaker = hub.app.state.partners.guards[partner].breaker
    return breaker


async def wait_until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    """Return as soon as `condition()` holds (polled); fail if it still does not after `limit` seconds."""
    async with asyncio.timeout(limit):
        while not condition():
            await asyncio.sleep(0.01)


async def wait_for_state(breaker: Breaker, state: BreakerState, limit: float = 10.0) -> None:
    """Return as soon as `breaker` is in `state`, e.g. half-open once its cool-down is over."""
    await wait_until(lambda: breaker.state is state, limit)


def partner_errors(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The response's per-partner errors' extensions, by partner."""
    return {
        e["extensions"]["partner"]: e["extensions"]
        for e in body.get("errors", [])
        if "partner" in e.get("extensions", {})
    }


def statuses(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`extensions.partners`, by partner."""
    return {p["name"]: p for p in body["extensions"]["partners"]}


def max_overlap(entries: list[dict[str, Any]]) -> int:
    """The most requests in a partner's log that were in flight at the same moment."""
    edges = sorted([(e["started"], 1) for e in entries] + [(e["ended"], -1) for e in entries])
    most = current = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start (+1): touching is not overlap
        current += step
        most = max(most, current)
    return most
