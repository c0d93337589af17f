"""Connection settings: how every connector kind reads and checks its `[partners.connection]` table.

A kind declares its keys as the fields of a `ConnectionSettings` subclass (pydantic, strict: `"yes"` is not
a bool, `"5"` not a number) and calls `from_config(config)`. Every problem is reported at once, in one
`ConnectorConfigError` naming the partner, the kind and each key, with the value given, except for secrets:
a `SecretStr` field, or a key listed in `secret_keys`, is never repeated (a mistyped password is still a
password). Keys the kind does not know are refused, listing the ones it does.

    class NicheSettings(ConnectionSettings):
        base_url: HttpUrlText
        api_key: SecretStr
        page_size: int = Field(default=50, ge=1, le=100)

    settings = NicheSettings.from_config(config)
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, ValidationError

from connectors.contract import PartnerConfig
from connectors.errors import ConnectorConfigError

__all__ = ["ConnectionSettings", "HttpUrlText", "http_url"]


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host, without a trailing slash; else a ValueError saying so."""
    try:
        parsed = httpx.URL(value)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("Not an http(s) URL; give e.g. https://records.partner.example")
    return value.rstrip("/")


#: A connection key holding an http(s) URL (kept as text, without a trailing slash).
HttpUrlText = Annotated[StrictStr, AfterValidator(http_url)]


class ConnectionSettings(BaseModel):
    """The base of every kind's connection settings; see the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    #: Keys whose values are never repeated in an error, whatever their type (header tables, say).
    secret_keys: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_config(cls, config: PartnerConfig) -> Self:
        """The settings in `config.connection`, or one `ConnectorConfigError` listing every problem."""
        try:
            return cls.model_validate(dict(config.connection))
        except ValidationError as exc:
            where = f"Partner '{config.name}' (kind '{config.kind}')"
            raise ConnectorConfigError("\n".join(cls._problem(where, e) for e in exc.errors())) from None

    @classmethod
    def _secret(cls, key: str) -> bool:
        field = cls.model_fields.get(key)
        return key in cls.secret_keys or (field is not None and "SecretStr" in str(field.annotation))

    @classmethod
    def _problem(cls, where: str, error: Any) -> str:
        path = [str(part) for part in error["loc"]]
        key = "connection." + ".".join(path)
        if error["type"] == "missing":
            return f"{where} needs '{key}' in the partners file."
        if error["type"] == "extra_forbidden":
            valid = ", ".join(sorted(cls.model_fields))
            return f"{where}: '{key}' is not a connection key of this kind (valid: {valid})."
        message = str(error["msg"]).removeprefix("Value error, ")
        if path and cls._secret(path[0]):
            return f"{where}: '{key}' is not valid: {message}."
        return f"{where}: '{key}' has value {error['input']!r}. {message}."
