"""What every resolver can reach for one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from hub.access.policy import SharingPolicy
from hub.auth.principal import ANONYMOUS, Principal
from hub.federation.engine import Federation
from hub.settings import HubSettings

if TYPE_CHECKING:
    from hub.access.analysis import FieldUse

__all__ = ["HubContext", "Info"]


@dataclass
class HubContext:
    request: Request | None
    response: Response | None
    settings: HubSettings
    federation: Federation
    principal: Principal = ANONYMOUS
    policy: SharingPolicy = field(default_factory=SharingPolicy)
    purpose: str | None = None
    justification: str | None = None
    field_uses: list[FieldUse] = field(default_factory=list)

    def __post_init__(self) -> None:
        #: The token's scopes capped by the sharing policy: what every check in the request uses.
        self.effective_scopes: frozenset[str] = self.policy.effective_scopes(self.principal)


Info = _Info[HubContext, None]
