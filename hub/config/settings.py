"""The hub's settings: read once at start from `HUB_*` environment variables into a frozen object.

Every option has a default and a line in docs/configuration.md. Partners are configured separately, in the
partners file (`hub/config/partners_file.py`), because they are a list of structured tables, not flat options.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from hub.access.purpose import DEFAULT_PURPOSES

__all__ = ["PRODUCTION_CONVENIENCES", "HubSettings", "check_rate_limits"]

#: Every convenience of the demo that production settings refuse (`hub.config.production`), by the name
#: HUB_PRODUCTION_EXCEPTIONS gives it, and what keeping it allows.
PRODUCTION_CONVENIENCES = {
    "graphiql": "GraphiQL is served (HUB_GRAPHIQL=true)",
    "introspection": "every caller may introspect the schema (HUB_INTROSPECTION_REQUIRES_SCOPE=false)",
    "get-queries": "queries are taken in URLs (HUB_ALLOW_GET_QUERIES=true)",
    "sqlite": "the hub's database is SQLite (set HUB_DATABASE_URL to PostgreSQL)",
    "http-issuer": "the token issuer is plain http:// (HUB_TOKEN_ISSUER)",
    "demo-clients": "the demo's clients are in the hub's database (`hub clients revoke` each of them)",
}


def check_rate_limits(text: str) -> str:
    """`text`, stripped, if it is rate limits in the `limits` notation ("20/second;1000/hour"): the one check
    of the settings' limits and of a client's own.

    Raises:
        ValueError: it is not.
    """
    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items:
        raise ValueError(
            f"rate limit {text!r} is not in the form '20/second;1000/hour' (amounts per second, minute, "
            "hour or day, separated by ';')"
        )
    return text.strip()


class HubSettings(BaseSettings):
    """Options of one hub process. Environment: `HUB_` + the upper-cased name (`HUB_SEARCH_MAX_RESULTS`)."""

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True, extra="forbid")

    env: Literal["development", "production"] = Field(
        default="development",
        description="production: the demo's conveniences (GraphiQL, open introspection, GET queries, SQLite, "
        "an http:// issuer, the demo clients) are refused at start unless named in "
        "HUB_PRODUCTION_EXCEPTIONS (docs/deployment.md).",
    )
    production_exceptions: Annotated[frozenset[str], NoDecode] = Field(
        default=frozenset(),
        description="The conveniences a production hub may keep all the same (comma-separated: graphiql, "
        "introspection, get-queries, sqlite, http-issuer, demo-clients).",
    )
    partners_file: Path | None = Field(
        default=None, description="TOML file listing the partner systems (see docs/partners.md)."
    )
    data_dir: Path = Field(default=Path(".hub"), description="Where the demo keeps its databases and keys.")
    graphiql: bool = Field(
        default=False,
        description="Serve GraphiQL on GET /graphql to browsers (`hub demo` turns it on; a production hub "
        "leaves it off).",
    )
    allow_get_queries: bool = Field(
        default=False,
        description="Accept GraphQL queries sent with GET (parameters in the URL, which proxies and access "
        "logs may keep); otherwise only POST, and a GET with parameters is refused with 405 "
        "METHOD_NOT_ALLOWED.",
    )
    search_default_results: int = Field(
        default=20, ge=1, description="People a search returns when the query does not say `first`."
    )
    search_max_results: int = Field(
        default=100, ge=1, le=1000, description="The largest `first` a search accepts."
    )
    # -- Limits on what one request may ask (docs/configuration.md) ----------------------------------------
    max_request_bytes: int = Field(
        default=262_144,
        ge=1024,
        description="Largest request body accepted, in bytes; a larger one is refused with 413 "
        "REQUEST_TOO_LARGE before it is read.",
    )
    max_query_depth: int = Field(
        default=12,
        ge=1,
        description="Deepest nesting of fields an operation may select (introspection fields aside); deeper "
        "is refused with QUERY_TOO_COMPLEX.",
    )
    max_query_aliases: int = Field(
        default=100,
        ge=0,
        description="Most aliased fields in one document (50 people in one query are 50 aliases); more is "
        "refused with QUERY_TOO_COMPLEX.",
    )
    max_query_tokens: int = Field(
        default=20_000,
        ge=100,
        description="Most lexical tokens (names, punctuation) in one document; more is refused with "
        "QUERY_TOO_LARGE before it is parsed.",
    )
    max_anonymous_query_bytes: int = Field(
        default=4096,
        ge=256,
        description="Longest document, in characters, a caller without an access token may send (it can read "
        "no personal data); longer is refused with QUERY_TOO_LARGE before it is parsed.",
    )
    max_repeated_fields: int = Field(
        default=20,
        ge=1,
        description="Most times one selection set may select the same field or fragment; more is refused "
        "with QUERY_TOO_COMPLEX before validation (whose cost grows with the square of such repeats).",
    )
    max_field_directives: int = Field(
        default=4,
        ge=1,
        description="Most directives on one field, fragment or operation (repeated @include/@skip are a "
        "known denial-of-service vector); more is refused with QUERY_TOO_COMPLEX before validation.",
    )
    max_directives: int = Field(
        default=50,
        ge=1,
        description="Most directives in one document; more is refused with QUERY_TOO_COMPLEX before "
        "validation.",
    )
    document_cache_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=0,
        description="Memory, in bytes (estimated from the text), that parsed and validated documents may "
        "take in each hub process's cache; only documents that passed every check are kept.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="`hub serve`'s log lines: one JSON object each (json), or uvicorn's plain text (text).",
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="The secret a Prometheus scraper sends (Authorization: Bearer ...) to read /metrics; "
        "unset: /metrics is not served. The metrics name partners, never a person.",
    )
    trusted_documents_only: bool = Field(
        default=False,
        description="Every caller may run only documents registered for its client (`hub documents add`), "
        "sent by id; free text is refused with TRUSTED_DOCUMENTS_ONLY. Off: only clients marked "
        "`--trusted-documents-only` are held to it.",
    )
    # -- Rate limits (docs/rate-limits.md) ----------------------------------------------------------------
    rate_limit: str = Field(
        default="50/second;2000/minute",
        description="Requests one client may make, for clients without limits of their own "
        "(`hub clients add --rate-limit`), in the `limits` notation: amounts per second, minute, hour or day "
        "separated by ';'. Over it: 429 RATE_LIMITED with Retry-After.",
    )
    organisation_rate_limit: str = Field(
        default="200/second;8000/minute",
        description="Requests all the clients of one organisation may make together.",
    )
    anonymous_rate_limit: str = Field(
        default="20/second;600/minute",
        description="Requests without a token one address may make (they can read public fields only).",
    )
    token_rate_limit: str = Field(
        default="10/second;120/minute",
        description="Requests to the token endpoint one address may make (each checks a secret with scrypt, "
        "deliberately slow).",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis (redis://host:port/db) where every replica keeps its rate-limit counts and "
        "partner circuit breakers, so that they share one budget and one view of each partner; unset: each "
        "process keeps its own, in memory.",
    )
    redis_timeout_seconds: float = Field(
        default=0.5, gt=0, description="Longest wait for Redis on one request before it counts as down."
    )
    rate_limit_fail_open: bool = Field(
        default=False,
        description="When Redis cannot be asked, let requests through uncounted (logged) instead of refusing "
        "them with 503 RATE_LIMITS_UNAVAILABLE. Off (fail closed) unless an operator decides otherwise.",
    )
    max_query_cost: int = Field(
        default=10_000,
        ge=1,
        description="Demand control: the highest estimated cost an operation may have "
        "(`docs/demand-control.md`) unless its client has its own budget; a costlier one is refused whole "
        "with QUERY_TOO_EXPENSIVE before any partner is asked.",
    )
    cost_per_partner_call: int = Field(
        default=10, ge=0, description="Demand control: what one partner call adds to an operation's cost."
    )
    cost_assumed_list_size: int = Field(
        default=5,
        ge=1,
        description="Demand control: the items a list is assumed to hold when no argument says how many.",
    )
    max_source_records: int = Field(
        default=250,
        ge=1,
        description="Most partner source records the person ids of one request may name together; more is "
        "refused with QUERY_TOO_COMPLEX before any partner is asked.",
    )
    partner_timeout: float = Field(
        default=5.0,
        gt=0,
        description="Seconds to wait for a partner call, unless the partner sets `timeout`.",
    )
    partner_max_batch_size: int = Field(
        default=100,
        ge=1,
        description="Most ids in one batched partner call, unless the partner sets its own.",
    )
    # -- Partner resilience (docs/partners.md); each has a per-partner key of the same name without the prefix
    partner_breaker_threshold: int = Field(
        default=5,
        ge=1,
        description="Failed calls in a row (each after its retries) that open a partner's circuit breaker.",
    )
    partner_breaker_cooldown: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an open breaker waits before letting one trial call through (half-open).",
    )
    partner_retry_attempts: int = Field(
        default=2,
        ge=1,
        description="Attempts per idempotent partner read, the first included (1: never retry); all of "
        "them within the partner's timeout.",
    )
    partner_retry_backoff: float = Field(
        default=0.05,
        ge=0,
        description="Upper bound of the first retry's random wait, in seconds; it doubles per retry.",
    )
    partner_max_concurrent_calls: int = Field(
        default=20,
        ge=1,
        description="Most calls to one partner in flight at once from this hub process; more wait their "
        "turn, and the wait counts against the partner's timeout.",
    )

    # -- Access control (docs/authentication.md) ------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the hub's own database (OAuth clients, signing keys, audit trail). "
            "Default: SQLite at {data_dir}/hub.db. sqlite:// and postgresql:// get their async drivers."
        ),
    )
    token_issuer: str = Field(
        default="urn:police-hub", min_length=1, description="The `iss` of the access tokens the hub issues."
    )
    token_audience: str = Field(
        default="urn:police-hub:graphql",
        min_length=1,
        description="The `aud` every access token must carry (the hub's own and trusted issuers').",
    )
    token_ttl_seconds: int = Field(
        default=900, ge=60, le=86400, description="Lifetime of an access token the hub issues."
    )
    token_leeway_seconds: int = Field(
        default=30, ge=0, le=300, description="Clock skew allowed when checking `exp`, `nbf` and `iat`."
    )
    token_cache_size: int = Field(
        default=10_000,
        ge=0,
        description="Verified access tokens a replica remembers, so that a token's signature is checked once "
        "(0: check every token in full on every request).",
    )
    token_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Longest a verified token is remembered (never past its `exp`); revocation is still "
        "checked on every request.",
    )
    client_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a replica trusts its memory that a client is not revoked (0: ask every time).",
    )
    signing_key_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a replica keeps the signing keys in memory before reading them again.",
    )
    signing_key_refresh_seconds: float = Field(
        default=5.0,
        ge=0,
        description="Least time between two reloads of the signing keys caused by an unknown `kid`.",
    )
    person_id_key_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a replica keeps the person-id keys in memory before reading them again.",
    )
    person_id_lifetime_days: int = Field(
        default=30,
        ge=1,
        description="Days a person id stays readable after its key is retired by `hub keys rotate "
        "--person-ids`; older ids are refused with PERSON_ID_EXPIRED (search again).",
    )
    trusted_issuers_file: Path | None = Field(
        default=None,
        description="TOML file of external issuers (forces' identity providers) whose tokens are accepted.",
    )
    jwks_timeout_seconds: float = Field(
        default=5.0, gt=0, description="Seconds to wait for an external issuer's JWKS."
    )
    jwks_cache_seconds: float = Field(
        default=300.0,
        ge=0,
        description="How long an external issuer's JWKS is kept before it is fetched anew.",
    )
    jwks_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        description="Least time between two fetches of an external issuer's JWKS caused by an unknown `kid`.",
    )

    purposes: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PURPOSES),
        description="Purpose codes a caller may state in Hub-Purpose, with what each means (JSON object).",
    )
    sharing_policy: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per organisation type, the most scopes it may ever use, overriding the built-in policy "
        '(JSON object, e.g. {"child-protection-agency": ["person:match", "safeguarding:read"]}).',
    )
    watch_max_days: dict[str, int] = Field(
        default_factory=lambda: {"police-force": 90, "child-protection-agency": 30},
        description="Per organisation type, the longest a watch may run, in days (JSON object); a type not "
        "listed may not watch.",
    )
    watch_default_days: int = Field(
        default=30,
        ge=1,
        description="How long a watch runs when its `until` is not given (never past the "
        "type's HUB_WATCH_MAX_DAYS).",
    )
    watch_poll_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the partners' change feeds are read for the watches (0: never, on this "
        "replica).",
    )
    watch_fanout: Literal["auto", "redis", "postgres", "local"] = Field(
        default="auto",
        description="How a fired watch detected by one replica reaches the subscriptions of every other: "
        "redis (pub/sub, on HUB_REDIS_URL), postgres (LISTEN/NOTIFY, on the hub's PostgreSQL database), or "
        "local (this replica's own subscriptions only: one replica). auto: redis with HUB_REDIS_URL, else "
        "postgres on a PostgreSQL database, else local.",
    )
    webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long a webhook delivery waits for the receiver's answer."
    )
    webhook_retry_seconds: float = Field(
        default=1.0,
        ge=0,
        description="The wait before a failed webhook delivery's second attempt; it doubles "
        "with each attempt.",
    )
    webhook_max_attempts: int = Field(
        default=5, ge=1, description="Attempts per webhook delivery before it is dead-lettered."
    )
    watch_max_per_client: int = Field(
        default=1000, ge=1, description="Live watches one client may run at once."
    )
    reject_unauthorized_operations: bool = Field(
        default=False,
        description="Refuse a whole operation that selects any field the caller may not see, instead of "
        "answering that field with null and an UNAUTHORIZED_FIELD_OR_TYPE error.",
    )
    introspection_requires_scope: bool = Field(
        default=True, description="Allow introspection only to tokens holding schema:introspect."
    )

    @field_validator("production_exceptions", mode="before")
    @classmethod
    def _exceptions(cls, value: object) -> object:
        known = set(PRODUCTION_CONVENIENCES)
        if isinstance(value, str):
            value = {v.strip() for v in value.split(",") if v.strip()}
        unknown = sorted(set(value) - known) if isinstance(value, set | frozenset | list | tuple) else []
        if unknown:
            raise ValueError(f"unknown conveniences {unknown} (known: {', '.join(sorted(known))})")
        return value

    @field_validator("rate_limit", "organisation_rate_limit", "anonymous_rate_limit", "token_rate_limit")
    @classmethod
    def _rate_limits(cls, value: str) -> str:
        return check_rate_limits(value)

    def partner_defaults(self) -> dict[str, float]:
        """What a partner gets for each numeric partners-file key it does not set."""
        return {
            "timeout": self.partner_timeout,
            "max_batch_size": self.partner_max_batch_size,
            "breaker_threshold": self.partner_breaker_threshold,
            "breaker_cooldown": self.partner_breaker_cooldown,
            "retry_attempts": self.partner_retry_attempts,
            "retry_backoff": self.partner_retry_backoff,
            "max_concurrent_calls": self.partner_max_concurrent_calls,
            "poll_interval": self.watch_poll_seconds,
        }

    @property
    def effective_database_url(self) -> str:
        """The hub's database URL: `database_url`, else a SQLite file in `data_dir`."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'hub.db'}"

    @property
    def on_postgresql(self) -> bool:
        """Whether the hub's database is PostgreSQL."""
        return make_url(self.effective_database_url).get_backend_name() in ("postgresql", "postgres")

    @property
    def effective_watch_fanout(self) -> Literal["redis", "postgres", "local"]:
        """`watch_fanout`, with auto resolved."""
        if self.watch_fanout != "auto":
            return self.watch_fanout
        if self.redis_url:
            return "redis"
        return "postgres" if self.on_postgresql else "local"

    @model_validator(mode="after")
    def _fanout_has_its_channel(self) -> HubSettings:
        if self.watch_fanout == "redis" and not self.redis_url:
            raise ValueError("HUB_WATCH_FANOUT=redis needs HUB_REDIS_URL")
        if self.watch_fanout == "postgres" and not self.on_postgresql:
            raise ValueError(
                "HUB_WATCH_FANOUT=postgres needs the hub's database on PostgreSQL (HUB_DATABASE_URL)"
            )
        return self

    # -- Audit trail (docs/audit.md) -------------------------------------------------------------------------
    audit_write_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Most seconds writing one audit event may take; past it the request fails closed (503).",
    )
    audit_read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Most seconds an auditor's query (auditEvents, accessLog) may take; past it the answer "
        "is AUDIT_UNAVAILABLE.",
    )
    audit_retention_days: int = Field(
        default=2190,
        ge=365,
        description="Days audit events are kept before `hub audit purge` may delete them (at least 365).",
    )
    auto_migrate: bool = Field(
        default=True,
        description=(
            "Bring the hub's database to the latest schema revision at start-up (`hub db upgrade`). "
            "Set false where a deployment step migrates first: the hub then refuses to start on an "
            "out-of-date database."
        ),
    )
