"""What one request asked of each partner, and how each call went.

The ledger is the single place where partner outcomes are recorded: the search result's `partners` field,
the per-partner errors and `extensions.partners` of the response are all read from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.errors import PartnerError

__all__ = ["PartnerLedger", "PartnerStatus"]

#: Worse outcomes win when one partner had several calls in a request.
_SEVERITY = {"ok": 0, "bad-response": 1, "error": 1, "unavailable": 2, "timeout": 3, "circuit-open": 4}


@dataclass
class PartnerStatus:
    """One partner's calls in one request, summed up."""

    name: str
    title: str
    outcome: str = "ok"
    latency_ms: float = 0.0
    #: Requests that reached the partner: retries count, calls refused by an open circuit breaker do not.
    calls: int = 0
    error: PartnerError | None = None
    kinds: list[str] = field(default_factory=list)

    def as_extension(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "latencyMs": round(self.latency_ms, 1),
            "calls": self.calls,
            **({"error": self.error.public_detail} if self.error else {}),
        }


class PartnerLedger:
    """Per request: every partner call, its latency and its outcome."""

    def __init__(self) -> None:
        self._status: dict[str, PartnerStatus] = {}

    def record(
        self,
        name: str,
        title: str,
        kind: str,
        latency_ms: float,
        error: PartnerError | None,
        attempts: int = 1,
    ) -> None:
        """One call of the request: `attempts` is how many requests reached the partner (retries included;
        none when its circuit breaker was open), `latency_ms` the whole call's, retries and waits included."""
        status = self._status.setdefault(name, PartnerStatus(name, title))
        status.calls += attempts
        status.kinds.append(kind)
        status.latency_ms = max(status.latency_ms, latency_ms)
        outcome = error.outcome if error else "ok"
        if _SEVERITY.get(outcome, 1) > _SEVERITY.get(status.outcome, 1):
            status.outcome = outcome
            status.error = error

    def status(self, name: str) -> PartnerStatus | None:
        return self._status.get(name)

    def statuses(self) -> list[PartnerStatus]:
        return list(self._status.values())

    def failures(self) -> list[PartnerError]:
        return [s.error for s in self._status.values() if s.error is not None]
