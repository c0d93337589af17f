"""Access checks on the whole operation, before any resolver runs.

- A request without a token that selects protected fields: HTTP 401 (RFC 6750), no data.
- Introspection (`__schema`, `__type`, anywhere in the document: fragments too) needs `schema:introspect`
  unless the setting opens it to everyone.
- An operation that reads personal data needs a stated purpose the client may use (`hub.access.purpose`).
- Demand control: an operation whose estimated cost (`hub.schema.cost`) is over the caller's budget is refused
  whole (QUERY_TOO_EXPENSIVE), as a request error, before any partner is asked.
- In strict mode (`HUB_REJECT_UNAUTHORIZED_OPERATIONS`), one denied field refuses the whole operation.
Field-by-field denial otherwise happens at each field (`hub.access.scopes_directive`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql import DocumentNode, NoSchemaIntrospectionCustomRule, validate
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.access.analysis import FieldUse, field_uses
from hub.access.policy import satisfies
from hub.access.purpose import JUSTIFICATION_HEADER, PURPOSE_HEADER, check_purpose
from hub.access.scopes_directive import ScopeDenied
from hub.errors import BAD_REQUEST, INTROSPECTION_NOT_ALLOWED, QUERY_TOO_EXPENSIVE, UNAUTHENTICATED, HubError
from hub.schema.context import HubContext
from hub.schema.cost import Cost, estimate
from hub.schema.documents import PreparedDocument

__all__ = ["IntrospectionNotAllowed", "OperationChecks", "QueryTooExpensive", "Unauthenticated"]


class Unauthenticated(HubError):
    code = UNAUTHENTICATED.name


class IntrospectionNotAllowed(HubError):
    code = INTROSPECTION_NOT_ALLOWED.name


class QueryTooExpensive(HubError):
    code = QUERY_TOO_EXPENSIVE.name


def _prepared(context: HubContext, document: DocumentNode) -> PreparedDocument | None:
    """The cached document being run, where what is worked out of it can be kept (not for a document the
    endpoint did not prepare)."""
    prepared = context.document
    return prepared if prepared is not None and prepared.document is document else None


class WebSocketSubscriptionsOnly(HubError):
    code = BAD_REQUEST.name


class OperationChecks(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        document = self.execution_context.graphql_document
        if isinstance(context, HubContext) and document is not None:
            self._check(context, document)
        yield

    def _uses(self, context: HubContext, document: DocumentNode) -> Sequence[FieldUse]:
        """The fields the operation selects: worked out once per cached document and operation."""
        schema = self.execution_context.schema._schema
        operation_name = self.execution_context.operation_name
        prepared = _prepared(context, document)
        if prepared is None:
            return field_uses(schema, document, operation_name)
        uses = prepared.uses.get(operation_name)
        if uses is None:
            uses = prepared.uses[operation_name] = tuple(field_uses(schema, document, operation_name))
        return uses

    def _check(self, context: HubContext, document: DocumentNode) -> None:
        operation = self.execution_context.operation_type
        if context.transport == "websocket" and operation is not OperationType.SUBSCRIPTION:
            # Queries and mutations go to POST /graphql, where each request is audited as a whole.
            raise WebSocketSubscriptionsOnly(
                "Over the WebSocket only subscriptions run: send queries and mutations to POST /graphql."
            )
        schema = self.execution_context.schema._schema
        uses = self._uses(context, document)
        context.field_uses = uses
        protected = [u for u in uses if u.requirement]
        granted = context.effective_scopes
        if protected and not context.principal.authenticated:
            if context.response is not None:
                context.response.status_code = 401
                context.response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
            raise Unauthenticated(
                "This operation reads protected data: send an access token (Authorization: Bearer ...).",
                fields=[u.path for u in protected][:20],
            )
        if context.cost_model is not None:  # demand control, before anything runs
            self._cost(context, document)
        # Past authentication and demand control the operation runs (a refusal from here on is an answer with
        # `data`).
        context.executed = True
        # Anywhere in the document (fragments, inline fragments, aliases), not only at the root.
        if not context.may_introspect and validate(schema, document, [NoSchemaIntrospectionCustomRule]):
            raise IntrospectionNotAllowed("Introspection needs the schema:introspect scope.")
        if any(u.personal_data for u in uses):
            headers = context.headers()
            consultation = context.consultation
            consultation.purpose, consultation.justification = check_purpose(
                context.principal,
                headers.get(PURPOSE_HEADER),
                headers.get(JUSTIFICATION_HEADER),
                context.settings.purposes,
            )
        if context.settings.reject_unauthorized_operations:
            denied = [u.path for u in protected if not satisfies(u.requirement, granted)]
            if denied:
                for path in denied:
                    context.deny(path)
                raise ScopeDenied(
                    f"Not authorised to read {', '.join(denied[:10])}: the whole operation is refused.",
                    deniedFields=denied,
                )

    def _cost(self, context: HubContext, document: DocumentNode) -> None:
        assert context.cost_model is not None
        operation_name = self.execution_context.operation_name
        variables = self.execution_context.variables or {}
        # Only integer variables can size a list: the estimate is kept per document for each set of them.
        key = (operation_name, tuple(sorted((k, v) for k, v in variables.items() if type(v) is int)))
        prepared = _prepared(context, document)
        cached = prepared.costs.get(key) if prepared is not None else None
        if cached is not None:
            cost: Cost = cached
        else:
            schema = self.execution_context.schema._schema
            cost = estimate(schema, document, operation_name, variables, context.cost_model)
            if prepared is not None and len(prepared.costs) < 64:
                prepared.costs[key] = cost
        limit = context.cost_limit
        if cost.total > limit:
            raise QueryTooExpensive(
                f"The operation would cost {cost.total} (about {cost.partner_calls} partner calls); the most "
                f"this client may spend on one is {limit}. Ask for fewer people (first) or fewer kinds of "
                "records, or split the operation.",
                cost=cost.total,
                partnerCalls=cost.partner_calls,
                limit=limit,
            )
        context.cost = cost
