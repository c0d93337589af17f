"""One request to `/graphql`, as one typed record: who asked, what, for which purpose, and how it ended.

The outermost layer (the audit gate, `hub.http.audit_gate`) opens a `Consultation` for every request on the
GraphQL path and keeps it in the ASGI scope; each step of the request path fills in its part, and the gate
reads it back to write the audit event. No step parses what an earlier one already knew, and nobody guesses
the outcome from the response:

    audit gate        opens it (request id, start time); writes the event from it
    authentication    the principal, or the refusal (UNAUTHENTICATED, SERVICE_UNAVAILABLE)
    body limit        the refusal (REQUEST_TOO_LARGE)
    GraphQL endpoint  the request as parsed (document, variables, operation name), or the refusal
    GraphQL layer     purpose, the fields used and refused, the disclosures, the partners, the error codes

A request that the endpoint serves with GraphiQL's page consults nothing and is marked so (`ide_page`): it is
the only request on the path that leaves no audit event.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.types import Scope

from hub.auth.principal import ANONYMOUS, Principal
from hub.errors import ErrorCode

if TYPE_CHECKING:
    from hub.federation.ledger import PartnerLedger

__all__ = ["Consultation", "GraphQLRequest"]

_SCOPE_KEY = "hub.consultation"


@dataclass(frozen=True)
class GraphQLRequest:
    """A GraphQL request as the caller sent it (GraphQL over HTTP: POST JSON, or GET parameters)."""

    #: The document's text: as sent, or the registered document `document_id` names once it is looked up.
    query: str
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None
    #: A trusted document's id ("sha256:<hex>"), where the caller sent one instead of (or with) the text.
    document_id: str | None = None


@dataclass
class Consultation:
    """Everything the audit trail needs to know about one request, filled in along the request path."""

    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    principal: Principal = ANONYMOUS
    #: The request as parsed by the endpoint (or by the gate, for a request refused before the endpoint).
    request: GraphQLRequest | None = None
    #: The operation that ran or would have run: the given name, or the document's only operation's.
    operation_name: str | None = None
    purpose: str | None = None
    justification: str | None = None
    #: What the response discloses: (partner, kind, record id, person's record id).
    disclosed: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Paths of the fields refused to this caller.
    denied_fields: list[str] = field(default_factory=list)
    #: Why the request was refused whole, before or instead of running (the first refusal wins).
    refusal: ErrorCode | None = None
    #: The codes of the errors in the response of an operation that ran, and whether it held data.
    error_codes: frozenset[str] = frozenset()
    has_data: bool = False
    #: The partners' ledger of the operation, if it reached the federation engine.
    ledger: PartnerLedger | None = None
    #: Whether the operation read the audit trail (an auditor's query).
    read_audit_trail: bool = False
    #: GraphiQL's page was served: nothing was consulted.
    ide_page: bool = False

    @classmethod
    def open(cls, scope: Scope) -> Consultation:
        """A new consultation, kept in `scope` for the layers inside."""
        consultation = cls()
        scope[_SCOPE_KEY] = consultation
        return consultation

    @staticmethod
    def find(scope: Scope) -> Consultation | None:
        """The request's consultation, if a layer opened one (requests off the GraphQL path have none)."""
        found = scope.get(_SCOPE_KEY)
        return found if isinstance(found, Consultation) else None

    @staticmethod
    def of(scope: Scope) -> Consultation:
        """The request's consultation (a new one, kept in `scope`, if no outer layer opened one)."""
        found = scope.get(_SCOPE_KEY)
        return found if isinstance(found, Consultation) else Consultation.open(scope)

    def refuse(self, code: ErrorCode) -> None:
        """Record that the request was refused whole with `code` (a later refusal does not replace it)."""
        if self.refusal is None:
            self.refusal = code

    def disclose_person(self, sources: Any) -> None:
        self.disclosed.extend((partner, "person", record_id, record_id) for partner, record_id in sources)

    def disclose(self, kind: str, partner: str, record_id: str, person_record_id: str) -> None:
        self.disclosed.append((partner, kind, record_id, person_record_id))

    def failed_partners(self) -> tuple[str, ...]:
        return tuple(f.partner for f in self.ledger.failures()) if self.ledger is not None else ()
