"""What every resolver can reach for one request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    from hub.audit.store import AuditStore

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
    field_uses: Sequence[FieldUse] = ()
    #: What the response discloses, for the audit trail: (partner, kind, record id, person's record id).
    disclosed: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Paths of the fields refused to this caller.
    denied_fields: list[str] = field(default_factory=list)
    audit: AuditStore | None = None
    #: Set when the operation has run: its name (given, or of the document's only operation), the error
    #: codes of the response and whether it holds data. The audit recorder reads them.
    operation_name: str | None = None
    error_codes: frozenset[str] | None = None
    has_data: bool = False
    #: Whether the operation read the audit trail (an auditor's query): its event's outcome says so.
    read_audit_trail: bool = False

    def audit_store(self) -> AuditStore:
        """The audit trail, for the auditors' queries (which this marks the operation as)."""
        if self.audit is None:
            raise RuntimeError("this hub has no audit store")
        self.read_audit_trail = True
        return self.audit

    def disclose_person(self, sources: Iterable[tuple[str, str]]) -> None:
        self.disclosed.extend((partner, "person", record_id, record_id) for partner, record_id in sources)

    def disclose(self, kind: str, partner: str, record_id: str, person_record_id: str) -> None:
        self.disclosed.append((partner, kind, record_id, person_record_id))

    def __post_init__(self) -> None:
        #: The token's scopes capped by the sharing policy: what every check in the request uses.
        self.effective_scopes: frozenset[str] = self.policy.effective_scopes(self.principal)


Info = _Info[HubContext, None]
