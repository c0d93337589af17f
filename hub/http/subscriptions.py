"""Subscriptions at /graphql over a WebSocket, in the graphql-transport-ws protocol (only: the legacy
graphql-ws protocol is not spoken).

The connection authenticates in its `connection_init` payload as a request does in its headers:
`{"Authorization": "Bearer <token>", "Hub-Purpose": "...", "Hub-Justification": "..."}` (or with the
Authorization header of the handshake, which `BearerAuth` checks first). A missing or refused token, or a
client revoked, closes the connection with 4403 before anything runs. Only subscriptions run on it: queries
and mutations go to POST /graphql, where every request is audited. The subscription itself is checked like
any operation (scopes, purpose, limits), and each event it carries was audited when its watch fired; the
connection itself is recorded in the audit trail, accepted or refused. A subscription ends, and the socket
is closed, when the token expires or the client is revoked.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.typevars import Context
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from hub.access.policy import SharingPolicy
from hub.audit.events import AuditEvent
from hub.audit.store import AuditStore
from hub.auth.clients import ClientStore
from hub.auth.principal import Principal
from hub.auth.tokens import InvalidToken, TokenValidator
from hub.config.settings import HubSettings
from hub.consultation import Consultation
from hub.federation.engine import Federation
from hub.federation.ids import PersonIds
from hub.federation.partner_set import PartnerSet
from hub.schema import HubSchema
from hub.schema.context import HubContext
from hub.watches.broker import Broker

__all__ = ["SubscriptionEndpoint"]

log = logging.getLogger(__name__)


class SubscriptionEndpoint(GraphQL[HubContext, None]):
    """The WebSocket side of /graphql (see the module docstring)."""

    def __init__(
        self,
        schema: HubSchema,
        settings: HubSettings,
        partners: PartnerSet,
        validator: TokenValidator,
        clients: ClientStore,
        policy: SharingPolicy,
        person_ids: PersonIds,
        broker: Broker,
        audit: AuditStore,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide=None,
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=10,
        )
        self.settings, self.partners, self.validator, self.clients = settings, partners, validator, clients
        self.policy, self.person_ids, self.broker, self.audit = policy, person_ids, broker, audit

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> HubContext:
        consultation = Consultation.of(request.scope)  # the handshake's Authorization header, if it had one
        return HubContext(
            request=None,
            response=None,
            settings=self.settings,
            federation=Federation(self.partners),
            consultation=consultation,
            policy=self.policy,
            person_ids=self.person_ids,
            broker=self.broker,
            clients=self.clients,
            transport="websocket",
            websocket=request,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        assert isinstance(context, HubContext)
        params = context.connection_params or {}
        header = params.get("Authorization") or params.get("authorization")
        principal = context.principal
        try:
            if header is not None:
                scheme, _, token = str(header).strip().partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise InvalidToken("Use Authorization: Bearer <token> in the connection_init payload.")
                principal = await self.validator.validate(token.strip())
            if not principal.authenticated:
                raise InvalidToken("Send an access token: Authorization: Bearer <token>, in connection_init.")
        except InvalidToken as exc:
            await self._record(context, principal, "unauthenticated")
            raise ConnectionRejectionError({"reason": exc.description}) from None
        context.authenticate(principal)
        await self._record(context, principal, "ok")
        return {"expiresAt": principal.expires_at}

    async def _record(self, context: HubContext, principal: Principal, outcome: str) -> None:
        """The connection in the audit trail, accepted or refused (its events were audited as they fired)."""
        headers = context.headers()
        event = AuditEvent(
            occurred_at=datetime.now(UTC), request_id=f"ws-{uuid.uuid4()}", client_id=principal.client_id,
            subject=principal.subject, organisation=principal.organisation,
            organisation_type=str(principal.organisation_type) if principal.organisation_type else None,
            scopes=tuple(sorted(principal.scopes)), purpose=headers.get("hub-purpose"),
            justification=headers.get("hub-justification"), operation_name="websocket connection_init",
            document=None, variables={}, denied_fields=(), disclosed=(), failed_partners=(), outcome=outcome,
            http_status=0, latency_ms=0.0,
        )  # fmt: skip
        await self.audit.append(event)
