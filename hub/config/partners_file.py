"""The partners file: which partner systems the hub federates, and how to reach each.

    [[partners]]
    name = "southmoor"                  # lower-case id, used in errors, statuses and person ids
    kind = "rest"                       # a connector kind: sql, rest, graphql, or a plug-in's
    title = "Southmoor Constabulary"    # shown to people
    contact = "Southmoor PSU, 01632 960100"   # whom to call about its records (hit / no-hit answers)
    timeout = 2.5                       # seconds per call, retries included (default: HUB_PARTNER_TIMEOUT)
    max_batch_size = 100                # most ids per batched call (default: HUB_PARTNER_MAX_BATCH_SIZE)
    breaker_threshold = 5               # failed calls in a row that open its circuit breaker
    breaker_cooldown = 30               # seconds open before one trial call (half-open)
    retry_attempts = 2                  # attempts per idempotent read, the first included (1: no retry)
    retry_backoff = 0.05                # first retry's longest random wait, doubling per retry
    max_concurrent_calls = 20           # most calls in flight at once from one hub process
    poll_interval = 5                   # seconds between reads of its change feed, for watches (0: never)
    capabilities = ["search", "people", "custody"]   # optional: ask it for no more than this
    [partners.connection]               # kind-specific: see docs/partners.md
    base_url = "https://api.southmoor.example"
    client_secret = "${SOUTHMOOR_CLIENT_SECRET}"      # ${VAR} is read from the environment

Every problem in the file is reported at once, each naming the partner and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, cast

from connectors.contract import Capability, PartnerConfig
from connectors.errors import ConnectorConfigError
from connectors.registry import kinds

__all__ = ["PartnersFileError", "load_partners", "parse_partners"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_KEYS = {
    "name",
    "kind",
    "title",
    "contact",
    "timeout",
    "max_batch_size",
    "breaker_threshold",
    "breaker_cooldown",
    "retry_attempts",
    "retry_backoff",
    "max_concurrent_calls",
    "poll_interval",
    "capabilities",
    "connection",
    "mapping",
}

#: The numeric keys: (whole number, lowest value, whether the lowest is allowed, what the value must be).
_NUMBERS: dict[str, tuple[bool, float, bool, str]] = {
    "timeout": (False, 0, False, "a positive number of seconds"),
    "max_batch_size": (True, 1, True, "a whole number >= 1"),
    "breaker_threshold": (True, 1, True, "a whole number >= 1"),
    "breaker_cooldown": (False, 0, False, "a positive number of seconds"),
    "retry_attempts": (True, 1, True, "a whole number >= 1"),
    "retry_backoff": (False, 0, True, "a number of seconds >= 0"),
    "max_concurrent_calls": (True, 1, True, "a whole number >= 1"),
    "poll_interval": (False, 0, True, "a number of seconds >= 0 (0: its change feed is never read)"),
}
#: Each numeric key's default when neither the file nor the hub's settings give one.
_BUILT_IN = {f.name: cast(float, f.default) for f in fields(PartnerConfig) if f.name in _NUMBERS}


class PartnersFileError(ConnectorConfigError):
    """The partners file is unreadable or invalid; the message lists every problem.

    Attributes:
        problems: Each problem on its own.
        parsed: The partners whose entries were valid, so that their connectors can be checked too and every
            partner's problem be reported in one go.
    """

    def __init__(
        self, message: str, problems: list[str] | None = None, parsed: list[PartnerConfig] | None = None
    ) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]
        self.parsed = parsed or []


def _expand(value: Any, where: str, problems: list[str]) -> Any:
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            var = match.group(1)
            if var not in os.environ:
                problems.append(f"{where}: environment variable {var} is not set")
                return ""
            return os.environ[var]

        return _VAR.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: _expand(v, f"{where}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, where, problems) for v in value]
    return value


def _number(key: str, value: Any, label: str, problems: list[str]) -> float | int | None:
    whole, lowest, inclusive, what = _NUMBERS[key]
    valid = (
        not isinstance(value, bool)
        and isinstance(value, int if whole else int | float)
        and (value >= lowest if inclusive else value > lowest)
    )
    if not valid:
        problems.append(f"{label}: '{key}' must be {what}, got {value!r}")
        return None
    return value if whole else float(value)


def _parse_one(i: int, raw: Any, defaults: Mapping[str, float], problems: list[str]) -> PartnerConfig | None:
    if not isinstance(raw, Mapping):
        problems.append(f"partners[{i}] must be a table")
        return None
    name = raw.get("name")
    label = f"partner '{name}'" if isinstance(name, str) else f"partners[{i}]"
    start = len(problems)
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append(f"{label}: 'name' must match {_NAME.pattern}, got {name!r}")
    for key in sorted(set(raw) - _KEYS):
        problems.append(f"{label}: unknown key '{key}' (valid: {', '.join(sorted(_KEYS))})")
    kind = raw.get("kind")
    if kind not in kinds():
        problems.append(f"{label}: 'kind' is {kind!r}; known kinds: {', '.join(kinds())}")
    numbers = {key: _number(key, raw.get(key, defaults[key]), label, problems) for key in _NUMBERS}
    capabilities: frozenset[Capability] | None = None
    if "capabilities" in raw:
        valid = {c.value for c in Capability}
        wanted = raw["capabilities"]
        bad = [c for c in wanted if c not in valid] if isinstance(wanted, list) else [wanted]
        if bad:
            problems.append(f"{label}: unknown capabilities {bad!r} (valid: {', '.join(sorted(valid))})")
        else:
            capabilities = frozenset(Capability(c) for c in wanted)
    for table in ("connection", "mapping"):
        if not isinstance(raw.get(table, {}), Mapping):
            problems.append(f"{label}: '{table}' must be a table")
    if len(problems) > start:
        return None
    return PartnerConfig(
        name=str(name),
        kind=str(kind),
        title=str(raw.get("title", "")),
        contact=str(raw.get("contact", "")),
        connection=_expand(raw.get("connection", {}), f"{label}: connection", problems),
        mapping=dict(raw.get("mapping", {})),
        capabilities=capabilities,
        **numbers,  # type: ignore[arg-type]  # each checked by `_number` to be of its field's type
    )


def parse_partners(
    document: Mapping[str, Any],
    default_timeout: float = 5.0,
    default_batch: int = 100,
    defaults: Mapping[str, float] | None = None,
) -> list[PartnerConfig]:
    """Partner configurations from a parsed partners file; `PartnersFileError` lists every problem.

    `defaults` gives, by partners-file key, the value of a numeric key that a partner does not set (the hub's
    `HUB_PARTNER_*` settings: `HubSettings.partner_defaults()`); built-in defaults fill the rest.
    """
    problems: list[str] = []
    unknown = sorted(set(defaults or {}) - set(_NUMBERS))
    if unknown:
        raise ValueError(f"no partners-file keys {unknown} take a default (valid: {', '.join(_NUMBERS)})")
    merged = {**_BUILT_IN, "timeout": default_timeout, "max_batch_size": default_batch, **(defaults or {})}
    raw_partners = document.get("partners")
    if not isinstance(raw_partners, list) or not raw_partners:
        raise PartnersFileError("The partners file needs at least one [[partners]] table.")
    configs = [_parse_one(i, raw, merged, problems) for i, raw in enumerate(raw_partners)]
    names = [str(raw["name"]) for raw in raw_partners if isinstance(raw, Mapping) and "name" in raw]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"partner '{name}' is configured more than once")
    parsed = [c for c in configs if c is not None]
    if problems:
        raise PartnersFileError("Invalid partners file:\n  - " + "\n  - ".join(problems), problems, parsed)
    return parsed


def load_partners(
    path: Path,
    default_timeout: float = 5.0,
    default_batch: int = 100,
    defaults: Mapping[str, float] | None = None,
) -> list[PartnerConfig]:
    """Read and validate the partners file at `path` (`defaults` as for `parse_partners`)."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PartnersFileError(f"Cannot read the partners file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PartnersFileError(f"The partners file {path} is not valid TOML: {exc}") from exc
    return parse_partners(document, default_timeout, default_batch, defaults)
