"""What can go wrong when the hub asks a partner, grouped by what the caller should do.

    ConnectorError                  base of everything a connector raises
    ├── ConnectorConfigError        fatal: the partner's configuration is wrong; fix it and restart
    ├── CapabilityNotSupported      fatal: the hub asked for something the connector does not offer
    └── PartnerError                the partner failed this call; the rest of the answer goes on
        ├── PartnerUnavailable      retriable: refused connection, network error, 5xx
        │   └── PartnerTimeout      retriable: no answer within the partner's timeout
        ├── PartnerBadResponse      not retriable: the partner answered, but with garbage
        └── PartnerCircuitOpen      not tried: the hub's circuit breaker for the partner is open

Connectors translate their library's exceptions at the boundary (`raise PartnerUnavailable(...) from exc`),
so the hub never sees an httpx, SQLAlchemy or GraphQL client error. Messages never carry secrets.

A message may name what only an operator should see (a database host, a table); the connector then passes
`public=`, what a caller of the hub is told instead.

`retriable` says whether the same call may succeed if made again at once; the hub retries an idempotent read
only then (and only within the partner's timeout). Each class has a default; a connector that knows better
passes it, e.g. `PartnerUnavailable(name, "HTTP 403 from the partner", retriable=False)`.
`PartnerCircuitOpen` is raised by the hub, never by a connector.
"""

from __future__ import annotations

__all__ = [
    "CapabilityNotSupported",
    "ConnectorConfigError",
    "ConnectorError",
    "PartnerBadResponse",
    "PartnerCircuitOpen",
    "PartnerError",
    "PartnerTimeout",
    "PartnerUnavailable",
]


class ConnectorError(Exception):
    """Base of every error a connector raises."""


class ConnectorConfigError(ConnectorError):
    """The partner's configuration is invalid (unknown kind, missing URL, bad mapping)."""


class CapabilityNotSupported(ConnectorError):
    """The connector was asked for a capability it does not declare."""


class PartnerError(ConnectorError):
    """One call to a partner failed. `code` is the stable GraphQL error code the hub reports."""

    code = "PARTNER_ERROR"
    outcome = "error"
    #: Whether making the same call again at once may succeed (the default of each class).
    retriable = False

    def __init__(
        self, partner: str, message: str, *, retriable: bool | None = None, public: str | None = None
    ) -> None:
        super().__init__(f"partner '{partner}': {message}")
        self.partner = partner
        self.detail = message
        #: What a caller of the hub may be told: `message` unless that names the partner's internals
        #: (hosts, users, tables); the whole `detail` goes to the hub's log.
        self.public_detail = public or message
        if retriable is not None:
            self.retriable = retriable


class PartnerUnavailable(PartnerError):
    """The partner could not be reached or answered with a server error."""

    code = "PARTNER_UNAVAILABLE"
    outcome = "unavailable"
    retriable = True


class PartnerTimeout(PartnerUnavailable):
    """The partner did not answer within its timeout."""

    code = "PARTNER_TIMEOUT"
    outcome = "timeout"


class PartnerBadResponse(PartnerError):
    """The partner answered, but not with what its protocol promises."""

    code = "PARTNER_BAD_RESPONSE"
    outcome = "bad-response"


class PartnerCircuitOpen(PartnerError):
    """The hub did not call the partner: its circuit breaker is open after repeated failures.

    Raised by the hub, not by connectors. The partner is tried again after the breaker's cool-down.
    """

    code = "PARTNER_CIRCUIT_OPEN"
    outcome = "circuit-open"
