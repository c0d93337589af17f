"""Resilience settings: per-partner keys in the partners file, defaults from HUB_PARTNER_* settings, and
every invalid value reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.partners_file import PartnersFileError, load_partners, parse_partners
from hub.config.settings import HubSettings


def partner(**keys: object) -> dict[str, object]:
    return {"name": "alpha", "kind": "rest", **keys}


def test_built_in_defaults() -> None:
    [config] = parse_partners({"partners": [partner()]})

    assert (config.breaker_threshold, config.breaker_cooldown) == (5, 30.0)
    assert (config.retry_attempts, config.retry_backoff, config.max_concurrent_calls) == (2, 0.05, 20)


def test_settings_give_the_defaults_and_the_partners_file_overrides_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_PARTNER_BREAKER_THRESHOLD", "7")
    monkeypatch.setenv("HUB_PARTNER_BREAKER_COOLDOWN", "12.5")
    monkeypatch.setenv("HUB_PARTNER_RETRY_ATTEMPTS", "3")
    monkeypatch.setenv("HUB_PARTNER_RETRY_BACKOFF", "0.2")
    monkeypatch.setenv("HUB_PARTNER_MAX_CONCURRENT_CALLS", "8")
    settings = HubSettings()
    path = tmp_path / "partners.toml"
    path.write_text(
        """
[[partners]]
name = "alpha"
kind = "rest"

[[partners]]
name = "beta"
kind = "rest"
breaker_threshold = 2
breaker_cooldown = 5
retry_attempts = 1
retry_backoff = 0
max_concurrent_calls = 4
"""
    )

    alpha, beta = load_partners(
        path, settings.partner_timeout, settings.partner_max_batch_size, settings.partner_defaults()
    )

    assert (alpha.breaker_threshold, alpha.breaker_cooldown, alpha.retry_attempts) == (7, 12.5, 3)
    assert (alpha.retry_backoff, alpha.max_concurrent_calls) == (0.2, 8)
    assert (beta.breaker_threshold, beta.breaker_cooldown, beta.retry_attempts) == (2, 5.0, 1)
    assert (beta.retry_backoff, beta.max_concurrent_calls) == (0.0, 4)
    assert isinstance(beta.breaker_cooldown, float) and isinstance(beta.retry_attempts, int)


def test_every_invalid_resilience_key_is_reported_at_once() -> None:
    document = {
        "partners": [
            partner(
                breaker_threshold=0,
                breaker_cooldown=-1,
                retry_attempts=1.5,
                retry_backoff="fast",
                max_concurrent_calls=True,
            )
        ]
    }

    with pytest.raises(PartnersFileError) as raised:
        parse_partners(document)

    message = str(raised.value)
    for expected in [
        "'breaker_threshold' must be a whole number >= 1, got 0",
        "'breaker_cooldown' must be a positive number of seconds, got -1",
        "'retry_attempts' must be a whole number >= 1, got 1.5",
        "'retry_backoff' must be a number of seconds >= 0, got 'fast'",
        "'max_concurrent_calls' must be a whole number >= 1, got True",
    ]:
        assert expected in message


def test_invalid_settings_stop_the_hub_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_PARTNER_RETRY_ATTEMPTS", "0")
    with pytest.raises(ValueError, match="partner_retry_attempts"):
        HubSettings()
