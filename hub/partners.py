"""The partners file: which partner systems the hub federates, and how to reach each.

    [[partners]]
    name = "southmoor"                  # lower-case id, used in errors, statuses and person ids
    kind = "rest"                       # a connector kind: sql, rest, graphql, or a plug-in's
    title = "Southmoor Constabulary"    # shown to people
    contact = "Southmoor PSU, 01632 960100"   # whom to call about its records (hit / no-hit answers)
    timeout = 2.5                       # seconds per call (default: HUB_PARTNER_TIMEOUT)
    max_batch_size = 100                # most ids per batched call (default: HUB_PARTNER_MAX_BATCH_SIZE)
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
from pathlib import Path
from typing import Any

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
    "capabilities",
    "connection",
    "mapping",
}


class PartnersFileError(ConnectorConfigError):
    """The partners file is unreadable or invalid; the message lists every problem."""


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


def _parse_one(
    i: int, raw: Any, default_timeout: float, default_batch: int, problems: list[str]
) -> PartnerConfig | None:
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
    timeout = raw.get("timeout", default_timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        problems.append(f"{label}: 'timeout' must be a positive number of seconds, got {timeout!r}")
    batch = raw.get("max_batch_size", default_batch)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        problems.append(f"{label}: 'max_batch_size' must be a whole number >= 1, got {batch!r}")
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
        timeout=float(timeout),
        max_batch_size=batch,
        connection=_expand(raw.get("connection", {}), f"{label}: connection", problems),
        mapping=dict(raw.get("mapping", {})),
        capabilities=capabilities,
    )


def parse_partners(
    document: Mapping[str, Any], default_timeout: float = 5.0, default_batch: int = 100
) -> list[PartnerConfig]:
    """Partner configurations from a parsed partners file; `PartnersFileError` lists every problem."""
    problems: list[str] = []
    raw_partners = document.get("partners")
    if not isinstance(raw_partners, list) or not raw_partners:
        raise PartnersFileError("The partners file needs at least one [[partners]] table.")
    configs = [
        _parse_one(i, raw, default_timeout, default_batch, problems) for i, raw in enumerate(raw_partners)
    ]
    names = [str(raw["name"]) for raw in raw_partners if isinstance(raw, Mapping) and "name" in raw]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"partner '{name}' is configured more than once")
    if problems:
        raise PartnersFileError("Invalid partners file:\n  - " + "\n  - ".join(problems))
    return [c for c in configs if c is not None]


def load_partners(path: Path, default_timeout: float = 5.0, default_batch: int = 100) -> list[PartnerConfig]:
    """Read and validate the partners file at `path`."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PartnersFileError(f"Cannot read the partners file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PartnersFileError(f"The partners file {path} is not valid TOML: {exc}") from exc
    return parse_partners(document, default_timeout, default_batch)
