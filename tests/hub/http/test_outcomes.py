"""Each HTTP outcome of `/graphql` is recorded in the audit trail with its true outcome (read from the
request's consultation, not guessed from the response), and only an answer discloses anything."""

from __future__ import annotations

from typing import Any

import pytest

from hub.audit.store import AuditFilter, AuditUnavailable
from tests.support import HubClient

SEARCH = '{ searchPersons(criteria: {familyName: "Kilbride"}) { people { id } } }'


async def last_event(hub: HubClient) -> Any:
    return (await hub.app.state.audit.events(AuditFilter(), 10_000))[-1].event


async def send(hub: HubClient, case: str) -> Any:
    investigator = await hub.headers("investigator", "investigation", "Operation Kestrel")
    if case == "answered":
        return await hub.client.post("/graphql", json={"query": SEARCH}, headers=investigator)
    if case == "bad JSON":
        headers = {**investigator, "Content-Type": "application/json"}
        return await hub.client.post("/graphql", content=b'{"query": ', headers=headers)
    if case == "parse error":
        return await hub.client.post("/graphql", json={"query": "{ searchPersons("}, headers=investigator)
    if case == "bad token":
        return await hub.client.post(
            "/graphql", json={"query": SEARCH}, headers={"Authorization": "Bearer not.a.token"}
        )
    if case == "method":
        return await hub.client.put("/graphql", json={"query": SEARCH}, headers=investigator)
    if case == "too large":
        return await hub.client.post("/graphql", json={"query": "#" + "x" * 300_000}, headers=investigator)
    if case == "media type":
        return await hub.client.post(
            "/graphql", content=SEARCH, headers={**investigator, "Content-Type": "text/plain"}
        )
    raise AssertionError(case)


@pytest.mark.parametrize(
    ("case", "status", "outcome"),
    [
        ("answered", 200, "ok"),
        ("bad JSON", 400, "invalid-request"),
        ("parse error", 400, "invalid-request"),
        ("bad token", 401, "unauthenticated"),
        ("method", 405, "invalid-request"),
        ("too large", 413, "limit-exceeded"),
        ("media type", 415, "invalid-request"),
    ],
)
async def test_each_http_outcome_is_recorded_as_it_was(
    hub: HubClient, case: str, status: int, outcome: str
) -> None:
    response = await send(hub, case)

    assert response.status_code == status
    event = await last_event(hub)
    assert (event.http_status, event.outcome) == (status, outcome)
    assert bool(event.disclosed) == (status == 200)
    assert event.request_id == response.headers["x-request-id"]


async def test_a_503_for_tokens_that_cannot_be_checked_is_recorded_as_an_error(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(token: str) -> Any:
        raise OSError("the database is down")

    monkeypatch.setattr(hub.app.state.auth.validator, "validate", broken)

    response = await hub.client.post(
        "/graphql", json={"query": SEARCH}, headers={"Authorization": "Bearer abc.def.ghi"}
    )

    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    event = await last_event(hub)
    assert (event.http_status, event.outcome, event.disclosed) == (503, "error", ())


async def test_a_503_when_the_audit_cannot_be_written_sends_no_data(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_: Any) -> None:
        raise AuditUnavailable("down")

    monkeypatch.setattr(hub.app.state.audit, "append", down)

    response = await send(hub, "answered")

    assert response.status_code == 503 and "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "AUDIT_UNAVAILABLE"


LEAKY = "SELECT * FROM nominal WHERE password = 's3cret' -- postgresql://hub:pw@db.internal/hub"


@pytest.mark.parametrize("where", ["resolver", "extension"])
async def test_a_defect_is_masked_to_a_generic_error_with_the_request_id(
    hub: HubClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError(LEAKY)

    if where == "resolver":
        monkeypatch.setattr("hub.federation.engine.Federation.search", broken)
    else:
        monkeypatch.setattr("hub.schema.operation_checks.OperationChecks._check", broken)

    response = await send(hub, "answered")

    error = response.json()["errors"][0]
    request_id = response.headers["x-request-id"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and request_id in error["message"]
    for leak in ("SELECT", "s3cret", "db.internal", "Traceback", "RuntimeError"):
        assert leak not in response.text
    assert (await last_event(hub)).outcome == "error"
    assert "s3cret" in caplog.text  # the operators' log keeps the detail, under the request id
