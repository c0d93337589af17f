"""The hub's Prometheus metrics: what operators watch, and never a person's data.

Recorded where each thing is known: requests by the audit gate (`hub.http.audit_gate`, once the request's
outcome and audit write are known), partner calls by the federation engine, DataLoader batches by the
loaders. Served at `/metrics` (`hub.http.metrics_route`) to a scraper holding HUB_METRICS_TOKEN.

Labels are bounded: outcomes, codes, partner names and kinds come from the hub's own lists; organisation
types from `OrganisationType`. Operation names are chosen by callers, and a caller may name an operation
after the person it looks for ("query Kilbride"): only the names of registered (trusted) documents, which an
operator reviewed, are used, for the first `MAX_OPERATION_NAMES` distinct names a process sees ("other"
after); every other operation is "ad-hoc".

With several worker processes (`hub serve --workers N`), prometheus_client's multiprocess mode sums every
worker's values (PROMETHEUS_MULTIPROC_DIR, which `hub serve` sets up).
"""

from __future__ import annotations

import re
import threading

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "AUDIT_WRITE_FAILURES",
    "AUDIT_WRITE_SECONDS",
    "BATCH_SIZE",
    "BREAKER_STATE",
    "PARTNER_CALLS",
    "PARTNER_CALLS_PER_REQUEST",
    "PARTNER_CALL_SECONDS",
    "REFUSALS",
    "REQUESTS",
    "REQUEST_SECONDS",
    "operation_label",
]

#: Distinct operation names a process labels before it counts the rest as "other".
MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_names: set[str] = set()
_names_lock = threading.Lock()

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "hub_requests",
    "Requests to /graphql, by operation name, outcome (as the audit trail records it) and organisation type.",
    ["operation", "outcome", "organisation_type"],
)
REQUEST_SECONDS = Histogram(
    "hub_request_duration_seconds",
    "Time from a request's arrival to its answer, audit write included, by outcome.",
    ["outcome"],
    buckets=_LATENCY,
)
REFUSALS = Counter(
    "hub_refusals",
    "Requests refused whole, by error code (RATE_LIMITED, QUERY_TOO_EXPENSIVE, UNAUTHENTICATED, ...).",
    ["code"],
)
PARTNER_CALLS = Counter(
    "hub_partner_calls",
    "Calls to partners (each after its retries), by partner, record kind and outcome (ok, timeout, "
    "unavailable, bad-response, circuit-open).",
    ["partner", "kind", "outcome"],
)
PARTNER_CALL_SECONDS = Histogram(
    "hub_partner_call_duration_seconds",
    "Time of one partner call, retries and waits for a slot included, by partner and record kind.",
    ["partner", "kind"],
    buckets=_LATENCY,
)
PARTNER_CALLS_PER_REQUEST = Histogram(
    "hub_partner_calls_per_request",
    "Requests that reached partners per answered request (retries included).",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 50, 100),
)
BREAKER_STATE = Gauge(
    "hub_partner_breaker_state",
    "Each partner's circuit breaker as this process sees it: 0 closed, 1 half-open, 2 open.",
    ["partner"],
    multiprocess_mode="max",
)
AUDIT_WRITE_SECONDS = Histogram(
    "hub_audit_write_duration_seconds",
    "Time to write one request's audit event (committed with the others of its group).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
)
AUDIT_WRITE_FAILURES = Counter(
    "hub_audit_write_failures",
    "Audit events that could not be written (their requests got AUDIT_UNAVAILABLE, and no data).",
)
BATCH_SIZE = Histogram(
    "hub_dataloader_batch_size",
    "Ids in one batched fetch of a record kind across partners (one DataLoader batch).",
    ["kind"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 250, 500, 1000),
)


def operation_label(name: str | None, registered: bool) -> str:
    """The label (and access-log field) for an operation: its name if it is a registered document's (while
    few are known: "other" past `MAX_OPERATION_NAMES`), "ad-hoc" for any other, "anonymous" without a
    name."""
    if not name:
        return "anonymous"
    if not registered:
        return "ad-hoc"
    if not _NAME.fullmatch(name):
        return "other"
    if name in _names:
        return name
    with _names_lock:
        if len(_names) >= MAX_OPERATION_NAMES:
            return "other"
        _names.add(name)
    return name
