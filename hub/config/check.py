"""Every configuration problem at once: an operator fixing a deployment learns of all of them from one
failed start, not one per restart.

Three sources are read, each as far as it can be, whatever is wrong with the others:

    settings             HUB_* environment variables (`hub.config.settings`): each invalid value, by variable
    partners file        its tables (`hub.config.partners_file`), then each partner's connector built from its
                         connection table (`connectors.registry.build`): every partner's problems
    trusted issuers      the issuers file (`hub.auth.issuers`): every issuer's problems

A setting that cannot be read leaves its default in force for checking the rest (the partners' default
timeouts, say), so one mistake does not hide another.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from connectors.errors import ConnectorConfigError
from connectors.registry import build
from hub.auth.issuers import IssuerConfigError, TrustedIssuers
from hub.config.partners_file import PartnersFileError, load_partners
from hub.config.production import production_problems
from hub.config.settings import HubSettings

__all__ = ["ConfigurationError", "check_configuration"]


class ConfigurationError(Exception):
    """The hub's configuration is wrong; `problems` lists every mistake found."""

    def __init__(self, problems: list[str]) -> None:
        listed = "\n  - ".join(problem.replace("\n", "\n    ") for problem in problems)
        super().__init__(f"The hub's configuration is wrong:\n  - {listed}")
        self.problems = problems


def _setting_problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        name = "HUB_" + "_".join(str(part) for part in error["loc"]).upper()
        problems.append(f"setting {name}: {error['msg']} (it is {error.get('input')!r})")
    return problems


def check_configuration(
    partners_file: Path | None = None, environ: Mapping[str, str] = os.environ
) -> HubSettings:
    """The hub's settings, once every part of the configuration has been checked.

    Args:
        partners_file: The partners file given on the command line (else HUB_PARTNERS_FILE).
        environ: Where the HUB_* settings come from.

    Raises:
        ConfigurationError: Anything is wrong; every problem is listed.
    """
    problems: list[str] = []
    overrides = {"partners_file": partners_file} if partners_file is not None else {}
    try:
        settings = HubSettings(partners_file=partners_file) if partners_file is not None else HubSettings()
    except ValidationError as exc:
        problems += _setting_problems(exc)
        settings = HubSettings.model_construct().model_copy(update=overrides)
        # The files are still checked, from the variables as written.
        for field in ("partners_file", "trusted_issuers_file"):
            raw = environ.get(f"HUB_{field.upper()}")
            if raw and field not in overrides:
                settings = settings.model_copy(update={field: Path(raw)})
    if settings.partners_file is None:
        problems.append("no partners file: set HUB_PARTNERS_FILE (or pass --partners)")
    else:
        try:
            configs = load_partners(
                settings.partners_file,
                settings.partner_timeout,
                settings.partner_max_batch_size,
                settings.partner_defaults(),
            )
        except PartnersFileError as exc:
            problems += [f"partners file: {problem}" for problem in exc.problems]
            configs = exc.parsed  # the valid entries are still checked: every partner's problem at once
        for config in configs:
            try:
                build(config)
            except ConnectorConfigError as exc:  # connectors name the partner; say it where they do not
                said = str(exc)
                problems.append(said if f"'{config.name}'" in said else f"partner '{config.name}': {said}")
    try:
        TrustedIssuers.load(
            settings.trusted_issuers_file, settings.token_audience, hub_issuer=settings.token_issuer
        )
    except IssuerConfigError as exc:
        problems.append(str(exc))
    problems += production_problems(settings)
    if problems:
        raise ConfigurationError(problems)
    return settings
