"""What every resolver can reach for one request."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as _Info

from hub.access.policy import SharingPolicy
from hub.auth.principal import Principal
from hub.config.settings import HubSettings
from hub.consultation import Consultation
from hub.federation.engine import Federation
from hub.federation.ids import PersonIds

if TYPE_CHECKING:
    from hub.access.analysis import FieldUse
    from hub.audit.store import AuditStore
    from hub.auth.clients import ClientStore
    from hub.schema.cost import Cost, CostModel
    from hub.schema.documents import PreparedDocument
    from hub.watches.broker import Broker
    from hub.watches.store import WatchStore

__all__ = ["HubContext", "Info"]

#: The scope that opens the schema to a caller (introspection, and suggestions in validation errors).
INTROSPECT_SCOPE = "schema:introspect"


@dataclass
class HubContext:
    """One operation's context. What the audit trail needs goes into `consultation` (`hub.consultation`)."""

    request: Request | None
    response: Response | None
    settings: HubSettings
    federation: Federation
    consultation: Consultation = field(default_factory=Consultation)
    policy: SharingPolicy = field(default_factory=SharingPolicy)
    field_uses: Sequence[FieldUse] = ()
    audit: AuditStore | None = None
    #: The operation's document, parsed and checked by the endpoint (`hub.schema.documents`).
    document: PreparedDocument | None = None
    #: Set when execution starts (after validation): an operation refused before is a request error.
    executed: bool = False
    #: Issues and reads the signed person ids (None: a schema used without the app, e.g. `hub explain`).
    person_ids: PersonIds | None = None
    #: Partner source records the person ids of this request named so far (HUB_MAX_SOURCE_RECORDS).
    source_records: int = 0
    #: How operations are costed (None: they are not, e.g. in `hub explain`); the estimate, once made.
    cost_model: CostModel | None = None
    cost: Cost | None = None
    #: The watches (None: a schema used without the app), and where fired watches are told (subscriptions).
    watches: WatchStore | None = None
    broker: Broker | None = None
    #: "http" for /graphql's POST and GET; "websocket" for a subscription connection (graphql-transport-ws).
    transport: str = "http"
    #: The connection_init payload of a WebSocket connection (set by Strawberry's protocol handler).
    connection_params: dict[str, Any] | None = None
    #: The WebSocket of a subscription connection, to close it when the caller's token ends.
    websocket: Any = None
    #: The hub's clients, for a subscription to find out its client has been revoked.
    clients: ClientStore | None = None

    @property
    def cost_limit(self) -> int:
        """The most this caller's operations may cost (demand control: `hub.schema.cost`)."""
        own = self.principal.limits.max_query_cost
        return own if own is not None else self.settings.max_query_cost

    @property
    def principal(self) -> Principal:
        return self.consultation.principal

    @property
    def may_introspect(self) -> bool:
        """Whether this caller may see the schema (introspection, and suggestions in errors)."""
        return not self.settings.introspection_requires_scope or INTROSPECT_SCOPE in self.effective_scopes

    def audit_store(self) -> AuditStore:
        """The audit trail, for the auditors' queries (which this marks the operation as)."""
        if self.audit is None:
            raise RuntimeError("this hub has no audit store")
        self.consultation.read_audit_trail = True
        return self.audit

    def disclose_person(self, sources: Iterable[tuple[str, str]]) -> None:
        self.consultation.disclose_person(sources)

    def disclose(self, kind: str, partner: str, record_id: str, person_record_id: str) -> None:
        self.consultation.disclose(kind, partner, record_id, person_record_id)

    def ids(self) -> PersonIds:
        if self.person_ids is None:
            raise RuntimeError("this operation has no person-id keys")
        return self.person_ids

    def headers(self) -> Mapping[str, str]:
        """The request's headers; for a WebSocket connection, what its connection_init payload gave as
        headers (`Hub-Purpose`, `Hub-Justification`), names in any case."""
        if self.request is not None:
            return self.request.headers
        params = self.connection_params or {}
        return Headers({str(k): v for k, v in params.items() if isinstance(v, str) and str(k).isascii()})

    def deny(self, path: str) -> None:
        self.consultation.denied_fields.append(path)

    def __post_init__(self) -> None:
        self.consultation.ledger = self.federation.ledger
        #: The token's scopes capped by the sharing policy: what every check in the request uses.
        self.effective_scopes: frozenset[str] = self.policy.effective_scopes(self.principal)

    def authenticate(self, principal: Principal) -> None:
        """The caller is `principal` from now on (a WebSocket connection, at connection_init)."""
        self.consultation.principal = principal
        self.effective_scopes = self.policy.effective_scopes(principal)


Info = _Info[HubContext, None]
