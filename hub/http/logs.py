"""What the hub's logs may say about a request: its method, path and status, never its query string.

A URL's query string can carry a GraphQL document and its variables, or a partner's search parameters (the
names and dates of birth of the people looked up). Two loggers write whole URLs: uvicorn's access log (the
hub's callers) and httpx's (the hub's calls to partners). Both go through `NoQueryStrings`: `log_config()`
is uvicorn's own logging configuration with the filter on the access log, and `quiet_partner_urls()` puts it
on httpx's logger. The hub itself never logs a document or variables.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import httpx
from uvicorn.config import LOGGING_CONFIG

__all__ = ["NoQueryStrings", "log_config", "quiet_partner_urls"]


_CUT = "?[query string not logged]"


def _without_query(value: object) -> object:
    if isinstance(value, httpx.URL):
        return str(value.copy_with(query=None)) + _CUT if value.query else value
    if isinstance(value, str) and "?" in value and value.startswith(("/", "http://", "https://")):
        return value.split("?", 1)[0] + _CUT
    return value


class NoQueryStrings(logging.Filter):
    """Cuts the query string off every URL among a record's arguments (uvicorn's access log: the path;
    httpx: the partner URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_without_query(arg) for arg in record.args)
        return True


def quiet_partner_urls() -> None:
    """Keep partner URLs' query strings out of httpx's log (once per process)."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, NoQueryStrings) for f in logger.filters):
        logger.addFilter(NoQueryStrings())


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, its access log without query strings."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["no_query_strings"] = {"()": f"{__name__}.NoQueryStrings"}
    config["handlers"]["access"].setdefault("filters", []).append("no_query_strings")
    return config
