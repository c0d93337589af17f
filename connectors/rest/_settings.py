"""The `rest` connector's connection settings, read once from the partners file and checked all at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from connectors.contract import PartnerConfig
from connectors.errors import ConnectorConfigError

__all__ = ["MAX_PAGE_SIZE", "RestSettings"]

#: The biggest page (and id batch) the partner API answers in one request.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
#: Seconds before its expiry that a token is replaced, so that none expires on its way to the partner.
DEFAULT_TOKEN_LEEWAY = 10.0


@dataclass(frozen=True)
class RestSettings:
    """Validated connection settings. The secret is left out of `repr` so that it never reaches a log."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    page_size: int = DEFAULT_PAGE_SIZE
    verify_tls: bool = True
    token_leeway: float = DEFAULT_TOKEN_LEEWAY
    #: The API embeds a nominal's records when they are fetched by id with `include=` (one request per call
    #: rather than one per kind of record).
    include: bool = False

    @classmethod
    def from_config(cls, config: PartnerConfig) -> RestSettings:
        """The settings in `config.connection`, or one `ConnectorConfigError` listing every problem."""
        return _Reader(config).settings()


class _Reader:
    def __init__(self, config: PartnerConfig) -> None:
        self.config = config
        self.where = f"Partner '{config.name}' (kind '{config.kind}')"
        self.problems: list[str] = []

    def _bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.append(f"{self.where}: 'connection.{key}' has value {value!r}. {expected}")

    def _required(self, key: str) -> Any:
        try:
            return self.config.require(key)
        except ConnectorConfigError as exc:
            self.problems.append(str(exc))
            return None

    def _url(self, key: str, value: Any) -> str:
        try:
            parsed = httpx.URL(value) if isinstance(value, str) else None
        except httpx.InvalidURL:
            parsed = None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            self._bad(key, value, "Not an http(s) URL; give e.g. https://api.southmoor.example.")
            return ""
        return str(value).rstrip("/")

    def _text(self, key: str, value: Any, secret: bool = False) -> str:
        if value is not None and not isinstance(value, str):
            if secret:  # never echo a secret, even a mistyped one
                self.problems.append(f"{self.where}: 'connection.{key}' must be a string.")
            else:
                self._bad(key, value, "Not a string.")
            return ""
        return value or ""

    def settings(self) -> RestSettings:
        connection = self.config.connection
        raw_base = self._required("base_url")
        base_url = self._url("base_url", raw_base) if raw_base is not None else ""
        raw_token_url = connection.get("token_url")
        if raw_token_url in (None, ""):
            token_url = base_url + "/oauth/token" if base_url else ""
        else:
            token_url = self._url("token_url", raw_token_url)
        client_id = self._text("client_id", self._required("client_id"))
        client_secret = self._text("client_secret", self._required("client_secret"), secret=True)
        page_size = connection.get("page_size", DEFAULT_PAGE_SIZE)
        if (
            isinstance(page_size, bool)
            or not isinstance(page_size, int)
            or not 1 <= page_size <= MAX_PAGE_SIZE
        ):
            self._bad("page_size", page_size, f"Not a whole number from 1 to {MAX_PAGE_SIZE}.")
            page_size = DEFAULT_PAGE_SIZE
        verify_tls = connection.get("verify_tls", True)
        if not isinstance(verify_tls, bool):
            self._bad("verify_tls", verify_tls, "Not a valid bool (true or false).")
        leeway = connection.get("token_leeway", DEFAULT_TOKEN_LEEWAY)
        if isinstance(leeway, bool) or not isinstance(leeway, int | float) or leeway < 0:
            self._bad("token_leeway", leeway, "Not a number of seconds, zero or more.")
            leeway = DEFAULT_TOKEN_LEEWAY
        include = connection.get("include", False)
        if not isinstance(include, bool):
            self._bad("include", include, "Not a valid bool (true or false).")
        timeout = self.config.timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            self.problems.append(
                f"{self.where}: 'timeout' has value {timeout!r}. Not a number of seconds above 0."
            )
        if self.problems:
            raise ConnectorConfigError("\n".join(self.problems))
        return RestSettings(
            base_url=base_url,
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            page_size=page_size,
            verify_tls=bool(verify_tls),
            token_leeway=float(leeway),
            include=bool(include),
        )
