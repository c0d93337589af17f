"""A verified token is remembered: its signature is checked once, not on every request. What can change
while it lives is still checked every time (revocation), and it is never honoured past its `exp`."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt

from hub.auth.services import AuthServices
from hub.auth.tokens import InvalidToken, TokenValidator
from tests.hub.auth.test_token_attacks import hub_signed


@pytest.fixture
async def decodes(monkeypatch: pytest.MonkeyPatch, services: AuthServices) -> list[str]:
    """Every token whose signature is checked, in order."""
    await services.clients.add("investigator", "Northshire Police", "police-force", ["person:read"])
    checked: list[str] = []
    decode = jwt.decode

    def counted(value: Any, *args: Any, **kwargs: Any) -> Any:
        checked.append(value)
        return decode(value, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    return checked


async def test_a_token_is_verified_once_while_it_is_remembered(
    services: AuthServices, decodes: list[str]
) -> None:
    token = await services.token_for("investigator")

    first = await services.validator.validate(token)
    second = await services.validator.validate(token)

    assert first == second and first.client_id == "investigator"
    assert decodes == [token]


async def test_a_token_one_character_off_is_not_taken_for_a_remembered_one(
    services: AuthServices, decodes: list[str]
) -> None:
    token = await services.token_for("investigator")
    await services.validator.validate(token)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    with pytest.raises(InvalidToken, match="signature"):
        await services.validator.validate(tampered)


async def test_a_revoked_client_is_refused_though_its_token_is_remembered(
    services: AuthServices, decodes: list[str]
) -> None:
    token = await services.token_for("investigator")
    await services.validator.validate(token)

    await services.clients.revoke("investigator")

    with pytest.raises(InvalidToken, match="revoked"):
        await services.validator.validate(token)


async def test_a_remembered_token_is_refused_once_it_expires(
    services: AuthServices, decodes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = int(time.time())
    token = await hub_signed(services, iat=now, nbf=now, exp=now + 60)
    await services.validator.validate(token)

    later = now + 60 + services.validator.leeway + 1
    monkeypatch.setattr(time, "time", lambda: float(later))

    with pytest.raises(InvalidToken, match="expired"):
        await services.validator.validate(token)
    assert decodes == [token, token], "past its exp, the token was checked in full again"


async def test_a_cache_of_size_zero_checks_every_token_in_full(
    services: AuthServices, decodes: list[str]
) -> None:
    validator = TokenValidator(
        services.keys, services.clients, services.validator.issuer, services.validator.audience, cache_size=0
    )
    token = await services.token_for("investigator")

    await validator.validate(token)
    await validator.validate(token)

    assert decodes == [token, token]
