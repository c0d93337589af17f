"""Bringing a partner online: connect to it as the hub would, and say what works, how fast, and what not.

`check_partner` runs the steps an integration team needs to see, each timed and each allowed to fail on
its own: the connector is built from the partner's configuration, opened, asked for its health, made to
search (with a family name given) and to fetch every kind of record it offers for the people found, in one
call, and closed. Every step is bounded by the partner's timeout. The report holds counts, never records:
what was read is returned separately, for the audit trail (`hub connectors check`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from connectors.canonical import SearchCriteria
from connectors.contract import RECORD_KINDS, Capability, Connector, PartnerConfig
from connectors.errors import ConnectorError, PartnerError, PartnerTimeout
from connectors.registry import build

__all__ = ["CheckReport", "Step", "check_partner"]

T = TypeVar("T")

#: Most people whose records a check fetches.
SAMPLE_SIZE = 10


@dataclass
class Step:
    """One step of a check: its outcome ("ok", "failed" or "skipped"), duration and what it found."""

    name: str
    outcome: str
    ms: float | None = None
    detail: str = ""
    #: The error code a query would have shown for this failure (`PARTNER_*`), if it failed.
    code: str | None = None


@dataclass
class CheckReport:
    """A partner's check: the steps, what it can and cannot be asked, and the records it read."""

    partner: str
    kind: str
    title: str
    offered: list[str] = field(default_factory=list)
    not_offered: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    #: (record kind, partner's record id, its person's record id) of every record the check read.
    read: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.outcome != "failed" for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "kind": self.kind,
            "title": self.title,
            "ok": self.ok,
            "capabilities": {"offered": self.offered, "not_offered": self.not_offered},
            "steps": [step.__dict__ for step in self.steps],
        }


class _Failed(Exception):
    pass


async def _step(report: CheckReport, name: str, timeout: float, action: Callable[[], Awaitable[T]]) -> T:
    """Run one step within `timeout`, record how it went; `_Failed` if it failed."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            result = await action()
    except (PartnerError, ConnectorError, TimeoutError) as exc:
        if isinstance(exc, TimeoutError) and not isinstance(exc, PartnerError):
            exc = PartnerTimeout(report.partner, f"no answer within {timeout:g}s")
        code = f"PARTNER_{exc.outcome.upper().replace('-', '_')}" if isinstance(exc, PartnerError) else None
        detail = exc.detail if isinstance(exc, PartnerError) else str(exc)
        report.steps.append(Step(name, "failed", _ms(started), detail, code))
        raise _Failed from exc
    report.steps.append(Step(name, "ok", _ms(started)))
    return result


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


async def check_partner(config: PartnerConfig, surname: str | None = None) -> CheckReport:
    """Check one configured partner (see the module docstring); `surname` makes it search and fetch."""
    report = CheckReport(config.name, config.kind, config.display_name)
    try:
        connector = build(config)
    except ConnectorError as exc:
        report.steps.append(Step("configure", "failed", detail=str(exc)))
        return report
    report.steps.append(Step("configure", "ok"))
    report.offered = sorted(c.value for c in connector.capabilities)
    report.not_offered = sorted(c.value for c in Capability if c not in connector.capabilities)
    try:
        await _step(report, "open", config.timeout, connector.open)
        await _step(report, "health", config.timeout, connector.health)
        await _sample(report, connector, config.timeout, surname)
    except _Failed:
        pass
    finally:
        with contextlib.suppress(_Failed):  # recorded as a step
            await _step(report, "close", config.timeout, connector.aclose)
    return report


async def _sample(report: CheckReport, connector: Connector, timeout: float, surname: str | None) -> None:
    if surname is None:
        report.steps.append(Step("search", "skipped", detail="give --surname to search and fetch a sample"))
        return
    if Capability.SEARCH not in connector.capabilities:
        report.steps.append(Step("search", "skipped", detail="the partner does not offer search"))
        return
    found = await _step(
        report,
        "search",
        timeout,
        lambda: connector.search_people(SearchCriteria(family_name=surname), SAMPLE_SIZE),
    )
    report.steps[-1].detail = f"{len(found)} people named {surname!r}"
    report.read += [("match", p.record_id, p.record_id) for p in found]
    kinds = [kind for kind in RECORD_KINDS if kind in connector.capabilities]
    ids = [person.record_id for person in found]
    if not ids or not kinds:
        report.steps.append(Step("fetch", "skipped", detail="no one found, or no records by id offered"))
        return
    fetched = await _step(report, "fetch", timeout, lambda: connector.fetch({kind: ids for kind in kinds}))
    counts = []
    for kind in kinds:
        records = fetched.get(kind, {})
        if kind is Capability.PEOPLE:
            counts.append(f"{len(records)} people")
            continue
        counts.append(f"{sum(len(r) for r in records.values())} {kind.value}")
        report.read += [("match", owner, owner) for owner, held in records.items() if held]
    report.steps[-1].detail = ", ".join(counts) + " (one call)"
