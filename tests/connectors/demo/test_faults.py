"""The demo partners' faults, switched over HTTP against the real servers, do what docs/demo-faults.md says.

Nothing here times anything: a fault that withholds the answer is shown by a client timeout that expires
("it did not answer within X"), never by measuring how long an answer took.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest

from connectors.demo import graphql_partner, rest_partner
from connectors.demo.embedded import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from connectors.demo.instrument import FAULT_KINDS, MODES, FaultError, Faults, spec_body
from connectors.demo.serve import RefusedPort, ServerThread
from connectors.graphql import _mapping as graphql_mapping
from connectors.rest import _mapping as rest_mapping
from tests.support import Partner

#: A client timeout long enough for any healthy answer on a loaded machine.
PATIENT = httpx.Timeout(30.0)
#: A client that gives up reading after half a second (connecting may take its time).
IMPATIENT = httpx.Timeout(30.0, read=0.5)


@dataclass
class Api:
    """One demo partner's API as a client sees it: one cheap request, and its admin endpoint."""

    name: str
    partner: Partner
    client: httpx.Client

    def ask(self, timeout: httpx.Timeout = PATIENT) -> httpx.Response:
        """A search for Kilbride, in the partner's own protocol."""
        if self.name == "southmoor":
            token = self.client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            ).json()["access_token"]
            return self.client.get(
                "/api/v2/nominals",
                params={"surname": "Kilbride"},
                headers={"Authorization": f"Bearer {token}"},
                timeout=timeout,
            )
        # What the hub's `graphql` connector sends for a search.
        search = graphql_mapping.SEARCH
        variables = {"surname": "Kilbride", "limit": 50}
        payload = {"query": search.document, "variables": variables, "operationName": search.name}
        return self.client.post("/graphql", json=payload, timeout=timeout)

    def assert_normal(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        body = response.json()
        if self.name == "southmoor":
            items = rest_mapping.read_page(body, "search").items
            assert [rest_mapping.read_person(self.name, i, "item").names[0].family_name for i in items]
        else:
            assert [r.names[0].family_name for _, r in graphql_mapping.SEARCH.read(self.name, body["data"])]

    def read_with_the_hub_connector(self, body: Any) -> None:
        """Read `body` as the hub's connector for this partner reads a search answer (or raise Malformed)."""
        if self.name == "southmoor":
            for i, item in enumerate(rest_mapping.read_page(body, "search").items):
                rest_mapping.read_person(self.name, item, f"items[{i}]")
        else:
            graphql_mapping.SEARCH.read(self.name, body["data"])

    def switch(self, method: str, body: Any = None, content: str | None = None) -> httpx.Response:
        return self.client.request(method, "/_demo/faults", json=body, content=content)

    def faulted(self) -> list[str | None]:
        return [e.get("fault") for e in self.partner.log.snapshot()]


@pytest.fixture(params=["southmoor", "eastvale"])
def api(
    request: pytest.FixtureRequest,
    southmoor_server: Partner,
    eastvale_server: Partner,
    caplog: pytest.LogCaptureFixture,
) -> Iterator[Api]:
    """One partner with its faults off and its log empty; afterwards, its faults are off again and it must
    have logged no error (a fault is the partner's behaviour, never a crash of the partner)."""
    partner = {"southmoor": southmoor_server, "eastvale": eastvale_server}[request.param]
    partner.faults.clear()
    partner.log.clear()
    with httpx.Client(base_url=partner.url, timeout=PATIENT) as client:
        yield Api(request.param, partner, client)
    partner.faults.clear()
    errors = [r.getMessage() for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, errors


def wait_for(condition: Any, what: str, limit: float = 10.0) -> None:
    """Wait until `condition()` holds (a server in another thread catching up), failing after `limit` s."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


def test_fault_kinds_are_one_list_that_the_docs_follow(repo_root: Path) -> None:
    assert set(FAULT_KINDS) == {"latency", *MODES, "refused"}
    docs = (repo_root / "docs" / "demo-faults.md").read_text(encoding="utf-8")
    for kind in FAULT_KINDS:
        assert f"### `{kind}`" in docs, f"docs/demo-faults.md has no section on {kind}"


def test_no_fault_answers_normally(api: Api) -> None:
    assert api.switch("GET").json() == Faults().as_dict()

    api.assert_normal(api.ask())
    assert api.faulted() == [None]


def test_error_answers_every_api_request_with_500(api: Api) -> None:
    assert api.switch("PUT", {"mode": "error"}).json()["mode"] == "error"

    statuses = [api.ask().status_code for _ in range(5)]

    assert statuses == [500] * 5
    assert api.faulted() == ["error"] * 5


def test_malformed_answers_200_with_a_body_that_is_not_json(api: Api) -> None:
    api.switch("PUT", {"mode": "malformed"})

    response = api.ask()

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_wrong_shape_is_valid_json_that_the_hub_connector_rejects(api: Api) -> None:
    normal = api.ask().json()
    api.read_with_the_hub_connector(normal)
    api.switch("PUT", {"mode": "wrong_shape"})

    response = api.ask()

    assert response.status_code == 200
    body = response.json()
    assert body != normal
    with pytest.raises(rest_mapping.Malformed):
        api.read_with_the_hub_connector(body)


def test_hang_accepts_the_request_and_never_answers(api: Api) -> None:
    api.switch("PUT", {"mode": "hang"})

    # A read timeout, not a connect error: the partner took the connection and the request, then said nothing.
    with pytest.raises(httpx.ReadTimeout):
        api.ask(timeout=IMPATIENT)

    # Once the client gives up, the partner lets the request go (and logs it) rather than hold it for ever.
    wait_for(lambda: api.faulted() == ["hang"], "the hung request to be released")


def test_reset_closes_the_connection_without_an_answer(api: Api) -> None:
    api.switch("PUT", {"mode": "reset"})

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)) as raised:
        api.ask()

    assert not isinstance(raised.value, httpx.TimeoutException)
    wait_for(lambda: api.faulted() == ["reset"], "the reset request to be logged")
    # The partner itself is fine: the next connection is served (the fault still applies to it).
    assert api.switch("GET").json()["mode"] == "reset"


@pytest.mark.parametrize("http", ["h11", "httptools"])
@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
@pytest.mark.parametrize("name", ["southmoor", "eastvale"])
def test_reset_drops_the_connection_whichever_loop_and_http_serve_the_partner(
    demo_urls: dict[str, str],
    name: str,
    loop: Literal["asyncio", "uvloop"],
    http: Literal["h11", "httptools"],
) -> None:
    # `hub demo partner` serves with uvicorn.run's defaults: uvloop and httptools where installed (the demo
    # has them), asyncio's loop and h11 where not. Under uvloop, reset once answered HTTP 500: uvloop's
    # transport is not an asyncio.Transport, and the fault did not recognise it.
    if loop == "uvloop":
        pytest.importorskip("uvloop")
    pytest.importorskip(http)
    faults = Faults.from_specs(["reset"])
    if name == "southmoor":
        app = rest_partner.create_app(
            demo_urls[name], clients={DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}, faults=faults
        )
    else:
        app = graphql_partner.create_app(demo_urls[name], faults=faults)
    server = ServerThread(app, loop=loop, http=http).start()
    partner = Partner(server, app)
    try:
        with httpx.Client(base_url=server.url, timeout=PATIENT) as client:
            api = Api(name, partner, client)
            try:
                response = api.ask()
            except (httpx.ReadError, httpx.RemoteProtocolError):
                # No status line. A reset that reaches httpx while it still sends a POST's body fails the
                # write, which httpx passes over to read an answer, and then reads "disconnected" instead.
                pass
            else:
                pytest.fail(f"answered HTTP {response.status_code} instead of dropping the connection")
            wait_for(lambda: api.faulted() == ["reset"], "the reset request to be logged")
            assert api.switch("GET").json()["mode"] == "reset"  # the partner itself serves on
    finally:
        server.stop()


def test_latency_holds_the_answer_back_then_answers_normally(api: Api) -> None:
    api.switch("PUT", {"latency_ms": 5000})
    with pytest.raises(httpx.ReadTimeout):
        api.ask(timeout=IMPATIENT)

    api.switch("PUT", {"latency_ms": 20, "latency_jitter_ms": 20})

    api.assert_normal(api.ask())


def test_error_rate_is_honoured_over_many_requests_and_a_seed_repeats_it(api: Api) -> None:
    requests = 120

    def run() -> list[int]:
        api.switch("PUT", {"error_rate": 0.3, "seed": 1234})
        return [api.ask().status_code for _ in range(requests)]

    first = run()

    assert set(first) == {200, 500}
    assert 0.2 * requests <= first.count(500) <= 0.4 * requests
    assert run() == first


@pytest.mark.parametrize("mode", MODES)
def test_switching_off_restores_normal_answers(api: Api, mode: str) -> None:
    api.switch("PUT", {"mode": mode, "latency_ms": 10})
    try:
        response = api.ask(timeout=IMPATIENT)
    except httpx.TransportError:
        pass  # hang and reset give no answer at all
    else:
        with pytest.raises((AssertionError, ValueError, rest_mapping.Malformed)):
            api.assert_normal(response)

    assert api.switch("DELETE").json() == Faults().as_dict()

    api.assert_normal(api.ask())


def test_put_sets_every_switch_and_patch_only_those_given(api: Api) -> None:
    api.switch("PUT", {"latency_ms": 50, "mode": "malformed", "rate": 0.5, "seed": 9})

    patched = api.switch("PATCH", {"mode": "hang"}).json()
    assert patched == {"latency_ms": 50, "latency_jitter_ms": 0, "mode": "hang", "rate": 1, "seed": 9}

    put = api.switch("PUT", {"latency_ms": 10}).json()
    assert put == {**Faults().as_dict(), "latency_ms": 10}

    # What GET shows, PUT takes back.
    assert api.switch("PUT", patched).json() == patched
    assert api.switch("PATCH", {"error_rate": 0}).json()["mode"] is None


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"mode": "explode"}', "error, malformed, wrong_shape, hang, reset"),
        ('{"mode": "refused"}', "nothing listens"),
        ('{"mode": "latency"}', "latency_ms"),
        ('{"latency_ms": -1}', "latency_ms"),
        ('{"latency_ms": "slow"}', "not a number"),
        ('{"latency_ms": true}', "not a number"),
        ('{"latency_ms": NaN}', "not a number"),
        ('{"latency_jitter_ms": -5}', "latency_jitter_ms"),
        ('{"error_rate": 1.5}', "from 0 to 1"),
        ('{"mode": "hang", "rate": -0.1}', "from 0 to 1"),
        ('{"mode": "hang", "error_rate": 0.5}', "give rate instead"),
        ('{"mode": "error", "rate": 0.5, "error_rate": 0.5}', "not both"),
        ('{"rate": 0.5}', "give a mode too"),
        ('{"seed": "lucky"}', "seed"),
        ('{"colour": "red", "mode": "hang"}', "unknown keys ['colour']"),
    ],
)
def test_an_invalid_body_is_refused_with_400_and_changes_nothing(api: Api, content: str, says: str) -> None:
    before = api.switch("PUT", {"latency_ms": 7}).json()

    for method in ("PUT", "PATCH"):
        response = api.switch(method, content=content)

        assert response.status_code == 400
        assert says in response.json()["error"]
        assert response.json()["modes"] == list(MODES)
    assert api.switch("GET").json() == before


def test_health_token_endpoint_and_admin_are_never_faulted(api: Api) -> None:
    api.switch("PUT", {"mode": "hang", "latency_ms": 5000})

    assert api.client.get("/health", timeout=IMPATIENT).json() == {"status": "ok"}
    assert api.client.get("/_demo/requests", timeout=IMPATIENT).status_code == 200
    if api.name == "southmoor":
        token = api.client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            timeout=IMPATIENT,
        )
        assert token.status_code == 200
    assert api.switch("DELETE").status_code == 200


@pytest.mark.parametrize("kind", ["rest", "graphql"])
def test_faults_given_at_start_are_on_from_the_first_request(demo_urls: dict[str, str], kind: str) -> None:
    faults = Faults.from_specs(["error"])
    if kind == "rest":
        app = rest_partner.create_app(demo_urls["southmoor"], faults=faults)
    else:
        app = graphql_partner.create_app(demo_urls["eastvale"], faults=faults)
    server = ServerThread(app).start()
    try:
        if kind == "rest":
            response = httpx.get(f"{server.url}/api/v2/warnings", params={"nominalIds": "SM-000001"})
        else:
            response = httpx.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 500
        assert httpx.get(f"{server.url}/_demo/faults").json()["mode"] == "error"
    finally:
        server.stop()


def test_a_refused_port_refuses_connections() -> None:
    with RefusedPort() as port, pytest.raises(httpx.ConnectError) as raised:
        httpx.get(f"{port.url}/health", timeout=PATIENT)

    cause: BaseException | None = raised.value
    while cause is not None and not isinstance(cause, ConnectionRefusedError):
        cause = cause.__cause__ or cause.__context__
    assert isinstance(cause, ConnectionRefusedError)


def test_jitter_and_rate_draws_are_repeatable_with_a_seed() -> None:
    def draws(seed: int) -> list[tuple[float, str | None]]:
        faults = Faults(latency_ms=100, latency_jitter_ms=50, mode="reset", rate=0.5, seed=seed)
        return [faults.draw() for _ in range(200)]

    first = draws(7)

    assert all(100 <= delay <= 150 for delay, _ in first)
    assert len({delay for delay, _ in first}) > 100
    assert 60 <= [mode for _, mode in first].count("reset") <= 140
    assert draws(7) == first
    assert draws(8) != first


@pytest.mark.parametrize(
    ("specs", "body"),
    [
        (["hang"], {"mode": "hang"}),
        (["error:0.25"], {"mode": "error", "rate": 0.25}),
        (["latency:2000"], {"latency_ms": 2000}),
        (
            ["latency:1500-2500", "wrong_shape"],
            {"latency_ms": 1500, "latency_jitter_ms": 1000, "mode": "wrong_shape"},
        ),
        ([], {}),
    ],
)
def test_fault_specs_become_switches(specs: list[str], body: dict[str, Any]) -> None:
    assert spec_body(specs) == body


@pytest.mark.parametrize(
    ("specs", "says"),
    [
        (["explode"], "unknown fault kind 'explode'"),
        (["refused"], "points the hub at a port where nothing listens"),
        (["latency"], "latency needs milliseconds"),
        (["latency:fast"], "latency needs milliseconds"),
        (["latency:2000-1000"], "HIGH must not be below LOW"),
        (["error:often"], "fraction of requests"),
        (["error:2"], "from 0 to 1"),
        (["hang", "reset"], "one latency and one mode"),
        (["latency:1", "latency:2"], "one latency and one mode"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(specs: list[str], says: str) -> None:
    with pytest.raises(FaultError, match=says):
        spec_body(specs)
