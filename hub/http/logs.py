"""The hub's logs: one JSON object per line (or uvicorn's text, HUB_LOG_FORMAT=text), one access line per
request to `/graphql`, and never a person's data.

The access line (logger `hub.access`, written by the audit gate once the request's audit event is) carries
the request id, client, organisation and its type, operation name, outcome, HTTP status, latency, the audit
write's time and each partner's outcome, calls and latency: never the document, its variables or anything
a partner returned.

What the hub's logs may say about a request: its method, path and status, never its query string.

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

__all__ = ["ACCESS", "NoQueryStrings", "log_config", "quiet_partner_urls"]

#: The access log: one line per request to `/graphql`.
ACCESS = logging.getLogger("hub.access")


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


def log_config(log_format: str = "json") -> dict[str, Any]:
    """The logging configuration of `hub serve`: uvicorn's own, its access log without query strings, the
    hub's loggers (`hub.*`, the access log among them) at INFO; every line one JSON object unless
    `log_format` is "text"."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["no_query_strings"] = {"()": f"{__name__}.NoQueryStrings"}
    config["handlers"]["access"].setdefault("filters", []).append("no_query_strings")
    config["loggers"]["hub"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    if log_format == "json":
        json_formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
        config["formatters"] = {"default": json_formatter, "access": json_formatter}
    return config
