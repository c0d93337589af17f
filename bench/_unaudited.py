"""The hub without its audit recorder: the baseline `--audit-baseline` measures auditing against.

Only the benchmark builds this app (`uvicorn --factory bench._unaudited:create_app`): the hub itself has no
setting that turns auditing off, since no data may leave it unaudited. Everything else is the hub as
`hub serve` runs it: the same settings from the environment, token checks, access control and partners.
"""

from __future__ import annotations

from starlette.applications import Starlette

from hub.http.app import create_app as create_hub_app
from hub.http.audit_gate import AuditRecorder

__all__ = ["create_app"]


def create_app() -> Starlette:
    """The hub's app from `HUB_*` settings, with the audit recorder taken out of its middleware."""
    app = create_hub_app()
    kept = [m for m in app.user_middleware if m.cls is not AuditRecorder]
    if len(kept) == len(app.user_middleware):
        raise RuntimeError(
            "the hub's app has no AuditRecorder middleware to take out: update bench/_unaudited"
        )
    app.user_middleware = kept  # read when the middleware stack is built, on the first request
    return app
