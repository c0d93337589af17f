"""OpenTelemetry traces: a span for each request to `/graphql`, each partner call and each audit write, and
the trace carried on to the partners (`traceparent`, W3C Trace Context).

Spans are exported over OTLP/HTTP where OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
is set, with the standard OTEL_* variables honoured (service name, headers, sampler...); otherwise no
provider is installed and tracing costs nothing but a no-op call. A caller's own `traceparent` is continued.
Spans carry what an operator needs (partner, record kind, batch size, outcome, request id), never a person's
data, a document or its variables.
"""

from __future__ import annotations

import logging
import os
import threading

from opentelemetry import trace

__all__ = ["TRACER", "configure_tracing", "current_trace_id"]

log = logging.getLogger(__name__)

#: The hub's tracer (a no-op until a provider is installed).
TRACER = trace.get_tracer("police-hub")
_configured = threading.Lock()
_done = False


def configure_tracing() -> bool:
    """Install an OTLP exporter if the environment asks for one (once per process); whether one is."""
    global _done
    with _configured:
        if _done:
            return True
        endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        if not any(os.environ.get(name) for name in endpoints):
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        service = os.environ.get("OTEL_SERVICE_NAME", "police-hub")
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _done = True
        log.info("traces exported over OTLP as service %s", service)
        return True


def current_trace_id() -> str | None:
    """The current trace's id (32 hex digits), if a span is being recorded."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
