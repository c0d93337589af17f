"""Traces (OpenTelemetry, recorded here by the SDK's in-memory exporter): one search is one trace, with a span
for the request, one per partner call and one for the audit write; the partners receive the trace in
`traceparent`; an error's `extensions` name the trace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hub.audit.store import AuditFilter
from tests.support import HubClient, Partner

_EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans the hub records (a provider installed once per test process: OpenTelemetry allows one)."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
        trace.set_tracer_provider(provider)
    _EXPORTER.clear()
    yield _EXPORTER
    _EXPORTER.clear()


async def test_a_search_is_one_trace_with_a_span_per_partner_call_and_the_audit_write(
    hub: HubClient, spans: InMemorySpanExporter, southmoor: Partner, eastvale: Partner
) -> None:
    body = await hub.query(
        '{ searchPersons(criteria: {familyName: "Kilbride"}, first: 2) { people { id } } }'
    )
    assert body["data"]["searchPersons"]["people"]

    finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.name == "POST /graphql"]
    trace_id = request.context.trace_id
    assert {s.context.trace_id for s in finished} == {trace_id}, "one trace"
    calls = [s for s in finished if s.name.startswith("partner ")]
    assert sorted((s.attributes["partner"], s.attributes["kind"]) for s in calls) == [
        ("eastvale", "search"), ("northshire", "search"), ("southmoor", "search"),
    ]  # fmt: skip
    assert all(s.attributes["outcome"] == "ok" and s.parent.span_id == request.context.span_id for s in calls)
    [audit] = [s for s in finished if s.name == "audit write"]
    assert audit.parent.span_id == request.context.span_id
    # The audit event names the trace too (and its hash covers it).
    event = (await hub.app.state.audit.events(AuditFilter(), 10_000))[-1]
    assert event.event.trace_id == f"{trace_id:032x}"
    assert (
        request.attributes["hub.outcome"] == "ok" and request.attributes["http.response.status_code"] == 200
    )
    # Each HTTP partner got the trace, its parent the hub's span for that call.
    for partner, name in ((southmoor, "southmoor"), (eastvale, "eastvale")):
        [call] = [s for s in calls if s.attributes["partner"] == name]
        sent = {tuple(e["traceparent"].split("-")[:3]) for e in partner.log.snapshot() if "traceparent" in e}
        assert sent == {("00", f"{trace_id:032x}", f"{call.context.span_id:016x}")}


async def test_a_callers_trace_is_continued_and_errors_name_the_trace(
    hub: HubClient, spans: InMemorySpanExporter
) -> None:
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    headers = {
        **(await hub.headers("investigator", "investigation", "trace")),
        "traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01",
    }
    response = await hub.client.post("/graphql", json={"query": "{ nope }"}, headers=headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["traceId"] == caller_trace
    [request] = [s for s in spans.get_finished_spans() if s.name == "POST /graphql"]
    assert f"{request.context.trace_id:032x}" == caller_trace
