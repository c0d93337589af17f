"""The `rest` connector's connection settings, read once from the partners file and checked all at once."""

from __future__ import annotations

from pydantic import Field, SecretStr, StrictStr, model_validator

from connectors.settings import ConnectionSettings, HttpUrlText

__all__ = ["MAX_PAGE_SIZE", "RestSettings"]

#: The biggest page (and id batch) the partner API answers in one request.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
#: Seconds before its expiry that a token is replaced, so that none expires on its way to the partner.
DEFAULT_TOKEN_LEEWAY = 10.0


class RestSettings(ConnectionSettings):
    """Validated connection settings. The secret is a `SecretStr`: it never reaches a log or an error."""

    base_url: HttpUrlText
    #: The partner's OAuth2 token endpoint; by default `base_url` + /oauth/token.
    token_url: HttpUrlText | None = None
    client_id: StrictStr = Field(min_length=1)
    client_secret: SecretStr = Field(min_length=1)
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    verify_tls: bool = True
    token_leeway: float = Field(default=DEFAULT_TOKEN_LEEWAY, ge=0)
    #: The API embeds a nominal's records when they are fetched by id with `include=` (one request per call
    #: rather than one per kind of record).
    include: bool = False
    #: The API has a change feed (`GET /api/v2/changes?since=`): what watches on people are told of.
    changes: bool = False

    @model_validator(mode="after")
    def _default_token_url(self) -> RestSettings:
        """`base_url` + /oauth/token when no token_url is given."""
        if self.token_url is None:
            return self.model_copy(update={"token_url": self.base_url + "/oauth/token"})
        return self
