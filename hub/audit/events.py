"""What one audit event holds: who asked what, for which purpose, what was disclosed, and how it ended.

The events are plain frozen values, made by the request path and written by `hub.audit.store`. Variables
are passed through `redact_variables` first, so that no credential a caller sent ever reaches the trail.
"""

from __future__ import annotations

import getpass
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["OUTCOMES", "REDACTED", "AuditEvent", "Disclosure", "StoredEvent", "redact_variables"]

#: Every outcome an event may record.
OUTCOMES = (
    "ok",
    "partial",
    "unauthenticated",
    "purpose-refused",
    "denied",
    "invalid-request",
    "limit-exceeded",
    "error",
    "audit-read",
    "purge",
    "token-issued",
    "document-added",
    "document-removed",
    "partner-checked",
    "watch-fired",
    "webhook-changed",
)

#: What a redacted value is replaced with.
REDACTED = "[REDACTED]"

# Matched against the key with "-" and "_" removed and lower-cased, anywhere in it: "x_api_key",
# "refreshToken", "clientSecret", "Authorization".
_SECRET_KEY = re.compile(
    r"token|secret|passw|pwd|authoriz|authoris|apikey|bearer|credential|cookie|session|privatekey|signature"
)
# A JWS/JWT compact serialisation: three base64url parts, the first starting like a JSON object ("ey").
_JWT = re.compile(r"\s*(?:Bearer\s+)?ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Disclosure:
    """One source record a response disclosed.

    Attributes:
        partner: The partner the record came from.
        kind: "person", "marker", "intelligence", "custody", "safeguarding", or "match" (a hit / no-hit
            check matched the record, or a watch was told a new record is its person: the caller learnt
            only that it exists).
        record_id: The record's id at the partner (for markers: the person's record id).
        person_record_id: The partner's record id of the person it belongs to (for "person": `record_id`).
    """

    partner: str
    kind: str
    record_id: str
    person_record_id: str


@dataclass(frozen=True)
class AuditEvent:
    """One request to the hub, as the audit trail records it.

    Attributes:
        occurred_at: When the request arrived (UTC, timezone-aware).
        request_id: The hub's id of the request (also in its logs and response headers).
        client_id: The OAuth client that asked, if it was authenticated.
        subject: The person behind the client (the token's `sub`), if known.
        organisation: The organisation the client acts for.
        organisation_type: Its kind (`hub.auth.principal.OrganisationType`).
        scopes: The scopes the token carried.
        purpose: The purpose code stated in Hub-Purpose.
        justification: The free-text justification stated with it.
        operation_name: The GraphQL operation name.
        document: The GraphQL document as received (the store adds its sha256).
        variables: The GraphQL variables, already passed through `redact_variables`.
        denied_fields: Fields the caller selected but may not see.
        disclosed: Every source record the response disclosed.
        failed_partners: Partners that did not answer (the response was partial).
        outcome: One of `OUTCOMES`.
        http_status: The HTTP status of the response.
        latency_ms: Time from request to response, in milliseconds (stored to the microsecond).
        trace_id: The request's OpenTelemetry trace id (32 hex digits), where it was traced.
    """

    occurred_at: datetime
    request_id: str
    client_id: str | None
    subject: str | None
    organisation: str | None
    organisation_type: str | None
    scopes: tuple[str, ...]
    purpose: str | None
    justification: str | None
    operation_name: str | None
    document: str | None
    variables: Mapping[str, Any]
    denied_fields: tuple[str, ...]
    disclosed: tuple[Disclosure, ...]
    failed_partners: tuple[str, ...]
    outcome: str
    http_status: int
    latency_ms: float
    trace_id: str | None = None

    @classmethod
    def of_operator(
        cls,
        command: str | None,
        outcome: str,
        variables: Mapping[str, Any],
        *,
        request_id_prefix: str = "cli",
        occurred_at: datetime | None = None,
    ) -> AuditEvent:
        """The event of something no request asked: an operator's command, its subject the operating-system
        user who ran it. Nothing about a caller is filled in; `dataclasses.replace` adds what the command
        knows (the client it acts on, what it disclosed)."""
        return cls(
            occurred_at=occurred_at or datetime.now(UTC), request_id=f"{request_id_prefix}-{uuid.uuid4()}",
            client_id=None, subject=f"os-user:{getpass.getuser()}", organisation=None,
            organisation_type=None, scopes=(), purpose=None, justification=None, operation_name=command,
            document=None, variables=variables, denied_fields=(), disclosed=(), failed_partners=(),
            outcome=outcome, http_status=0, latency_ms=0.0,
        )  # fmt: skip


@dataclass(frozen=True)
class StoredEvent:
    """An event as the store holds it: its place in the chain and the hashes that link it.

    Attributes:
        seq: Its position in the chain (1, 2, ...; cursors are seqs).
        event_id: Its unique id (a UUID).
        hash: sha256 of `prev_hash` and the event's canonical form (`hub.audit.chain`).
        prev_hash: The hash of the event before it (64 zeros for the first).
        event: The event, as read back (variables normalised to JSON, latency to the microsecond).
        document_hash: sha256 hex of the GraphQL document, if there was one.
    """

    seq: int
    event_id: str
    hash: str
    prev_hash: str
    event: AuditEvent
    document_hash: str | None


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and bool(_SECRET_KEY.search(re.sub(r"[-_\s]", "", key).lower()))


def redact_variables(variables: Any) -> Any:
    """A deep copy of GraphQL variables with credentials replaced by "[REDACTED]".

    Redacted: every value under a key that names a secret (token, secret, password, authorization,
    api_key, bearer, credential, cookie, ...) at any depth, and every string that looks like a JWT.
    Mappings become dicts and sequences lists (the JSON shapes variables have).

    Args:
        variables: The variables as the request gave them (anything JSON can hold).
    """
    if isinstance(variables, Mapping):
        return {
            key: REDACTED if _is_secret_key(key) and value is not None else redact_variables(value)
            for key, value in variables.items()
        }
    if isinstance(variables, list | tuple):
        return [redact_variables(item) for item in variables]
    if isinstance(variables, str) and _JWT.fullmatch(variables):
        return REDACTED
    return variables
