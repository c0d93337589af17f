"""`GET /metrics`: the hub's Prometheus metrics (`hub.metrics`), for a scraper holding HUB_METRICS_TOKEN.

The metrics name partners and count requests per organisation type, never a person, but they describe the
service to whoever reads them: the route exists only where HUB_METRICS_TOKEN is set, and answers only a
request carrying it (`Authorization: Bearer <token>`, compared in constant time); any other gets 401. Each
partner's breaker state is read when the metrics are. With several worker processes the values of all of
them are summed (prometheus_client's multiprocess mode, PROMETHEUS_MULTIPROC_DIR).
"""

from __future__ import annotations

import hmac
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hub import metrics
from hub.federation.breaker import BreakerState
from hub.federation.partner_set import PartnerSet

__all__ = ["metrics_route"]

_STATE = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


def metrics_route(token: str, partners: PartnerSet) -> Route:
    """The `/metrics` route, answering only requests that carry `token`."""
    expected = f"Bearer {token}".encode()

    async def serve(request: Request) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "The metrics need the scrape token (HUB_METRICS_TOKEN) as a bearer token."},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="hub-metrics"', "Cache-Control": "no-store"},
            )
        for name, state in partners.breaker_states().items():
            metrics.BREAKER_STATE.labels(name).set(_STATE[state])
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(
            generate_latest(registry), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
        )

    return Route("/metrics", serve, methods=["GET"], name="metrics")
