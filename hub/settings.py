"""The hub's settings: read once at start from `HUB_*` environment variables into a frozen object.

Every option has a default and a line in docs/configuration.md. Partners are configured separately, in the
partners file (`hub/partners.py`), because they are a list of structured tables, not flat options.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["HubSettings"]


class HubSettings(BaseSettings):
    """Options of one hub process. Environment: `HUB_` + the upper-cased name (`HUB_SEARCH_MAX_RESULTS`)."""

    model_config = SettingsConfigDict(env_prefix="HUB_", frozen=True, extra="forbid")

    partners_file: Path | None = Field(
        default=None, description="TOML file listing the partner systems (see docs/partners.md)."
    )
    data_dir: Path = Field(default=Path(".hub"), description="Where the demo keeps its databases and keys.")
    graphiql: bool = Field(default=True, description="Serve GraphiQL on GET /graphql for browsers.")
    search_default_results: int = Field(
        default=20, ge=1, description="People a search returns when the query does not say `first`."
    )
    search_max_results: int = Field(
        default=100, ge=1, le=1000, description="The largest `first` a search accepts."
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
