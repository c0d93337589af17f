"""Reading a GraphQL request off HTTP: one decision, made from the parsed request, never from raw bytes.

    POST, Content-Type application/json     a JSON object: query (string), variables, operationName,
                                             extensions (each optional but the query), or documentId
                                             instead of the query (a registered trusted document)
    GET with parameters                     the same, as URL parameters (each once), only where
                                             HUB_ALLOW_GET_QUERIES allows it
    anything else                           refused: 405 METHOD_NOT_ALLOWED, 415 UNSUPPORTED_MEDIA_TYPE

Whatever arrives (a body that is not JSON, not UTF-8, nested past any depth, `null`, a number; a parameter
given twice; a variables object that is a string) is refused with 400 BAD_REQUEST and a message that says
what is wrong: `RequestRefused`, never an exception that would become a 500. The audit gate reads requests
refused before the endpoint with the same function, so both record the same request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from hub.auth.documents import DOCUMENT_ID
from hub.consultation import GraphQLRequest
from hub.errors import BAD_REQUEST, METHOD_NOT_ALLOWED, UNSUPPORTED_MEDIA_TYPE, RequestRefused

__all__ = ["GRAPHQL_PARAMETERS", "GRAPHQL_RESPONSE", "JSON", "parse_graphql_request", "response_media_type"]

#: The media types of a response: GraphQL over HTTP's own, and plain JSON for clients that ask only for it.
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"

#: The request's members (JSON keys, URL parameters) that GraphQL over HTTP defines.
GRAPHQL_PARAMETERS = ("query", "variables", "operationName", "extensions", "documentId")


def _json(data: str | bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)
    except RecursionError:
        raise RequestRefused(BAD_REQUEST, f"The {what} is nested too deeply to read.") from None
    except UnicodeDecodeError:
        raise RequestRefused(BAD_REQUEST, f"The {what} is not UTF-8 text.") from None
    except ValueError as exc:
        raise RequestRefused(BAD_REQUEST, f"The {what} is not valid JSON: {str(exc)[:100]}.") from None


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    kind, *params = content_type.split(";")
    parameters = {}
    for param in params:
        key, _, value = param.partition("=")
        parameters[key.strip().lower()] = value.strip().strip('"').lower()
    return kind.strip().lower(), parameters


def _document_id(data: Mapping[str, Any]) -> str | None:
    """The trusted document's id the request names: `documentId` ("sha256:<hex>"), or Apollo's
    `extensions.persistedQuery` (`version` 1, `sha256Hash`); None if it names none."""
    document_id = data.get("documentId")
    extensions = data.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if document_id is None and persisted is not None:
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise RequestRefused(
                BAD_REQUEST, "`extensions.persistedQuery` must be version 1 with a sha256Hash."
            )
        digest = persisted.get("sha256Hash")
        document_id = f"sha256:{digest}" if isinstance(digest, str) else None
        if document_id is None:
            raise RequestRefused(BAD_REQUEST, "`extensions.persistedQuery.sha256Hash` must be a string.")
    if document_id is None:
        return None
    if not isinstance(document_id, str) or not DOCUMENT_ID.fullmatch(document_id.lower()):
        raise RequestRefused(
            BAD_REQUEST, "`documentId` must be 'sha256:' and the 64 hex digits of the document's SHA-256."
        )
    return document_id.lower()


def _members(data: Mapping[str, Any]) -> GraphQLRequest:
    query = data.get("query")
    document_id = _document_id(data)
    if query is None and document_id is not None:
        query = ""  # looked up by the endpoint (`hub.auth.documents`)
    elif not isinstance(query, str) or not query.strip():
        raise RequestRefused(
            BAD_REQUEST,
            "The request needs a `query` (the GraphQL document, as a string) or a `documentId` (a registered "
            "document's 'sha256:<hex>').",
        )
    variables = data.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRefused(BAD_REQUEST, "`variables` must be a JSON object (or null).")
    operation_name = data.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRefused(BAD_REQUEST, "`operationName` must be a string (or null).")
    extensions = data.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestRefused(BAD_REQUEST, "`extensions` must be a JSON object (or null).")
    return GraphQLRequest(query, variables, operation_name or None, extensions, document_id)


def _from_parameters(parameters: Sequence[tuple[str, str]]) -> GraphQLRequest:
    data: dict[str, Any] = {}
    for key, value in parameters:
        if key not in GRAPHQL_PARAMETERS:
            continue
        if key in data:
            raise RequestRefused(BAD_REQUEST, f"The URL parameter `{key}` is given more than once.")
        data[key] = (
            _json(value, f"`{key}` parameter") if key in ("variables", "extensions") and value else value
        )
    return _members(data)


def parse_graphql_request(
    method: str,
    content_type: str | None,
    parameters: Sequence[tuple[str, str]],
    body: bytes,
    *,
    allow_get: bool,
) -> GraphQLRequest:
    """The GraphQL request an HTTP request carries.

    Args:
        method: The HTTP method.
        content_type: The Content-Type header, if any.
        parameters: The URL's query parameters, decoded, in order (repeats included).
        body: The body, whole.
        allow_get: Whether GET may carry a query (HUB_ALLOW_GET_QUERIES).

    Raises:
        RequestRefused: BAD_REQUEST, METHOD_NOT_ALLOWED or UNSUPPORTED_MEDIA_TYPE, with the reason.
    """
    if method == "GET":
        if not allow_get:
            raise RequestRefused(
                METHOD_NOT_ALLOWED,
                "Send GraphQL requests with POST (this hub does not take queries in URLs).",
            )
        return _from_parameters(parameters)
    if method != "POST":
        raise RequestRefused(METHOD_NOT_ALLOWED, f"{method[:16]} is not supported here: send a POST.")
    kind, params = _media_type(content_type or "")
    if kind != "application/json":
        raise RequestRefused(UNSUPPORTED_MEDIA_TYPE, "Send the request as Content-Type: application/json.")
    if params.get("charset", "utf-8") != "utf-8":
        raise RequestRefused(UNSUPPORTED_MEDIA_TYPE, "Send the request body as UTF-8 (charset=utf-8).")
    data = _json(body, "request body")
    if not isinstance(data, dict):
        raise RequestRefused(
            BAD_REQUEST, "The request body must be a JSON object with a `query` (batches are not accepted)."
        )
    return _members(data)


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, from the request's `Accept` (None: nothing the hub can give: 406).

    `application/graphql-response+json` to a client that names it (first, where preferences tie); plain
    `application/json` to one that names only that, sends no `Accept`, or takes anything (`*/*`,
    `application/*`), as GraphQL over HTTP's compatibility rules recommend (a client that does not say it
    speaks the newer type may not). Preferences (`q`) are honoured, `q=0` refuses a type.
    """
    if accept is None or not accept.strip():
        return JSON
    offered: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        kind, parameters = _media_type(part)
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            quality = 0.0
        if quality > 0:
            offered.append((-quality, position, kind))
    for _, _, kind in sorted(offered):
        if kind == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if kind in (JSON, "application/*", "*/*"):
            return JSON
    return None
