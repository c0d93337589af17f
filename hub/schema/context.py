"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from hub.federation.engine import Federation
from hub.settings import HubSettings

__all__ = ["HubContext", "Info"]


@dataclass
class HubContext:
    request: Request | None
    response: Response | None
    settings: HubSettings
    federation: Federation


Info = _Info[HubContext, None]
