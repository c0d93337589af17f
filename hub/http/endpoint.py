"""The `/graphql` endpoint: GraphQL over HTTP, from the parsed request to the response.

    GET, no URL parameters, from a browser   GraphiQL's page, where HUB_GRAPHIQL is on: nothing is consulted
    anything else                            a GraphQL request (`hub.http.request`): read, its document
                                             prepared within the limits (`hub.schema.documents`), then run

A request refused before its operation runs (malformed, past a limit, a document that does not parse or
validate) is a request error: its HTTP status from the error catalogue (`hub.errors`) and a body of `errors`
only, no `data`. Once the operation runs, the answer is 200 with `data` (401 where an anonymous caller asked
for protected fields). Every step records what it learnt in the request's `Consultation`, which the audit
gate reads back: nothing here is parsed twice.
"""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from hub.access.policy import SharingPolicy
from hub.audit.store import AuditStore
from hub.auth.documents import TrustedDocuments, document_id_of
from hub.auth.principal import Principal
from hub.config.settings import HubSettings
from hub.consultation import Consultation, GraphQLRequest
from hub.errors import (
    BAD_REQUEST,
    CATALOGUE,
    DOCUMENT_ERRORS,
    GRAPHQL_VALIDATION_FAILED,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    OPERATION_RESOLUTION_FAILURE,
    PERSISTED_QUERY_NOT_FOUND,
    TRUSTED_DOCUMENTS_ONLY,
    ErrorCode,
    RequestRefused,
    render,
)
from hub.federation.engine import Federation
from hub.federation.ids import PersonIds
from hub.federation.partner_set import PartnerSet
from hub.http.graphiql import graphiql_page
from hub.http.rate_limits import RateLimits, client_address
from hub.http.request import GRAPHQL_RESPONSE, JSON, parse_graphql_request, response_media_type
from hub.schema import HubContext, HubSchema
from hub.schema.cost import CostModel
from hub.schema.documents import PreparedDocument, operation_name_of
from hub.schema.extensions import classify
from hub.tracing import current_trace_id
from hub.watches.store import WatchStore

__all__ = ["GraphQLEndpoint"]

#: What POST /graphql runs: subscriptions are for the WebSocket at the same path (`hub.http.subscriptions`).
_ALL_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})


def _json_response(
    body: bytes, status: int, media_type: str = JSON, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body,
        status_code=status,
        media_type=media_type,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _status(code: ErrorCode, media_type: str) -> int:
    """A request error's status: its own, but 200 for a document that cannot run when the client takes only
    `application/json` (GraphQL over HTTP: that media type cannot tell such errors apart by status)."""
    return 200 if media_type == JSON and code in DOCUMENT_ERRORS else code.status


class GraphQLEndpoint:
    """The ASGI app behind `/graphql` (every method: the ones it does not take are refused here, audited)."""

    def __init__(
        self,
        schema: HubSchema,
        settings: HubSettings,
        partners: PartnerSet,
        audit: AuditStore,
        policy: SharingPolicy,
        person_ids: PersonIds,
        rate_limits: RateLimits,
        documents: TrustedDocuments,
        watches: WatchStore | None = None,
    ) -> None:
        self.schema, self.settings, self.partners, self.audit, self.policy = (
            schema,
            settings,
            partners,
            audit,
            policy,
        )
        self.person_ids = person_ids
        self.rate_limits = rate_limits
        self.documents = documents
        self.watches = watches
        self.cost_model = CostModel.of(partners, settings)
        self.allowed_methods = "GET, POST" if settings.allow_get_queries else "POST"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        consultation = Consultation.of(scope)
        if self._is_ide_page(request):
            consultation.ide_page = True
            response: Response = graphiql_page()
        else:
            response = await self._graphql(request, consultation)
        await response(scope, receive, send)

    def _is_ide_page(self, request: Request) -> bool:
        return (
            self.settings.graphiql
            and request.method == "GET"
            and not request.scope.get("query_string")
            and "text/html" in request.headers.get("accept", "")
        )

    def _refused(
        self, consultation: Consultation, refused: RequestRefused, media_type: str = JSON
    ) -> Response:
        consultation.refuse(refused.code)
        trace_id = current_trace_id()
        if trace_id is not None:  # the operator's thread from the answer to the trace
            refused.details.setdefault("traceId", trace_id)
        headers = dict(refused.headers)
        if refused.code is METHOD_NOT_ALLOWED:
            headers["Allow"] = self.allowed_methods
        return _json_response(refused.body(), _status(refused.code, media_type), media_type, headers)

    async def _graphql(self, request: Request, consultation: Consultation) -> Response:
        accepted = response_media_type(request.headers.get("accept"))
        media_type = accepted or JSON  # a refusal before the Accept is weighed still needs a body
        try:
            # Counted first: a caller over its rate limit costs no more than this.
            await self.rate_limits.hit(consultation.principal, client_address(request))
            graphql_request = parse_graphql_request(
                request.method,
                request.headers.get("content-type"),
                request.query_params.multi_items(),
                await request.body() if request.method == "POST" else b"",
                allow_get=self.settings.allow_get_queries,
            )
            if accepted is None:  # a request the hub would run, but cannot answer in any type it takes
                raise RequestRefused(
                    NOT_ACCEPTABLE, f"The hub answers in {GRAPHQL_RESPONSE} or {JSON}: accept one of them."
                )
            graphql_request = await self._trusted(graphql_request, consultation.principal)
            consultation.request = graphql_request
            prepared = self.schema.documents.prepare(
                graphql_request.query, authenticated=consultation.principal.authenticated
            )
            consultation.operation_name = operation_name_of(prepared.document, graphql_request.operation_name)
        except RequestRefused as refused:
            return self._refused(consultation, refused, media_type)
        return await self._execute(request, consultation, prepared, media_type)

    async def _trusted(self, graphql_request: GraphQLRequest, principal: Principal) -> GraphQLRequest:
        """The request with its document: the registered one its `documentId` names, or its own text where
        the caller may send text (`hub.auth.documents`).

        Raises:
            RequestRefused: PERSISTED_QUERY_NOT_FOUND (no such document for this client),
                TRUSTED_DOCUMENTS_ONLY (text from a caller held to registered documents), BAD_REQUEST (text
                and an id that do not match).
        """
        document_id = graphql_request.document_id
        if document_id is None:
            if self.settings.trusted_documents_only or principal.limits.trusted_documents_only:
                raise RequestRefused(
                    TRUSTED_DOCUMENTS_ONLY,
                    'This client may run only documents registered for it: send {"documentId": '
                    '"sha256:..."} (`hub documents list --client NAME` shows them).',
                )
            return graphql_request
        text = (
            await self.documents.text(principal.client_id, document_id)
            if principal.client_id is not None
            else None
        )
        if text is None:
            raise RequestRefused(
                PERSISTED_QUERY_NOT_FOUND,
                f"No document {document_id} is registered for this client.",
                documentId=document_id,
            )
        if graphql_request.query and document_id_of(graphql_request.query) != document_id:
            raise RequestRefused(BAD_REQUEST, "The `query` sent is not the document `documentId` names.")
        return dataclasses.replace(graphql_request, query=text)

    async def _execute(
        self, request: Request, consultation: Consultation, prepared: PreparedDocument, media_type: str
    ) -> Response:
        assert consultation.request is not None
        await self.person_ids.keys.fresh()
        sub_response = Response()
        context = HubContext(
            request=request,
            response=sub_response,
            settings=self.settings,
            federation=Federation(self.partners),
            consultation=consultation,
            policy=self.policy,
            audit=self.audit,
            document=prepared,
            person_ids=self.person_ids,
            cost_model=self.cost_model,
            watches=self.watches,
        )
        allowed = {OperationType.QUERY} if request.method == "GET" else _ALL_OPERATIONS
        try:
            result = await self.schema.execute(
                consultation.request.query,
                variable_values=consultation.request.variables,
                context_value=context,
                operation_name=consultation.request.operation_name,
                allowed_operation_types=allowed,
            )
        except InvalidOperationTypeError as exc:
            return self._refused(
                consultation,
                RequestRefused(METHOD_NOT_ALLOWED, exc.as_http_error_reason(request.method)),
                media_type,
            )
        except (CannotGetOperationTypeError, MissingQueryError):
            return self._refused(
                consultation,
                RequestRefused(OPERATION_RESOLUTION_FAILURE, "No operation to run was found."),
                media_type,
            )
        # Every error gets its code here, in one place: also one raised past the schema's extensions (a defect
        # in one of them), which no extension saw.
        errors = [classify(error, consultation.request_id).formatted for error in result.errors or ()]
        trace_id = current_trace_id()
        if trace_id is not None:
            for error in errors:
                error["extensions"] = {**error.get("extensions", {}), "traceId": trace_id}
        # How it ended, for the audit trail: read off the result, not the response.
        consultation.error_codes = frozenset(str(e["extensions"]["code"]) for e in errors)
        consultation.has_data = result.data is not None
        if not context.executed:  # refused before it ran (validation, no token): a request error
            code = CATALOGUE.get(str(errors[0]["extensions"]["code"]), GRAPHQL_VALIDATION_FAILED)
            consultation.refuse(code)
            response = _json_response(render(errors), _status(code, media_type), media_type)
        else:
            body = render(errors, data=result.data, extensions=result.extensions)
            response = _json_response(body, sub_response.status_code, media_type)
        for key, value in sub_response.headers.items():
            if key not in ("content-length", "content-type"):
                response.headers[key] = value
        return response
