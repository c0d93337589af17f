"""GraphiQL in a real browser (Debian's Chromium driven by Playwright), with every other origin blocked: the
page works from the hub alone; the investigator's Kilbride search shows the merged person with three
sources, the child-protection agency's shows intelligence null with the authorization error, the auditor's
example shows audit events; afterwards neither storage, cookies nor the URL hold a token or a name; and no
request went to another origin. `make browser` installs Chromium (Debian's package) and Playwright."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from connectors.demo.clients import seed_demo_clients
from connectors.demo.serve import ServerThread
from connectors.demo.web import demo_routes
from hub.auth.services import AuthServices
from hub.config.settings import HubSettings
from hub.db import create_engine, prepare_database
from hub.http.app import create_app
from tests.support import Partner, partner_configs

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: make browser")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: `make browser` installs Debian's package"),
]


@pytest.fixture(scope="module")
def demo_hub(
    demo_urls: dict[str, str], southmoor_server: Partner, eastvale_server: Partner, tmp_path_factory: Any
) -> Iterator[str]:
    settings = HubSettings(data_dir=tmp_path_factory.mktemp("graphiql"), graphiql=True)
    server = _serve_demo_hub(settings, partner_configs(demo_urls, southmoor_server.url, eastvale_server.url))
    try:
        yield server.url
    finally:
        server.stop()


def run_example(page: Any, role: str) -> dict[str, Any]:
    """Act as `role`, run its first example, and return the answer the hub sent."""
    page.select_option("#hub-role", role)
    page.wait_for_selector(".graphiql-container")
    with page.expect_response(
        lambda r: (
            r.url.endswith("/graphql")
            and r.request.method == "POST"
            and "IntrospectionQuery" not in (r.request.post_data or "")
        )
    ) as answer:
        page.click(".graphiql-execute-button")
    body: dict[str, Any] = answer.value.json()
    page.wait_for_function("document.querySelector('.result-window').innerText.includes('data')")
    return body


def test_graphiql_works_offline_per_role_and_leaves_nothing_behind(demo_hub: str, tmp_path: Path) -> None:
    origin = urlsplit(demo_hub).netloc
    elsewhere: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()

        def only_the_hub(route: Any) -> None:
            if urlsplit(route.request.url).netloc == origin:
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_hub)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        response = page.goto(f"{demo_hub}/graphql")
        assert response is not None and "default-src 'none'" in response.headers["content-security-policy"]
        page.wait_for_selector(".graphiql-container", timeout=20_000)

        investigator = run_example(page, "investigator")
        people = investigator["data"]["searchPersons"]["people"]
        kilbride = next(p for p in people if {n["familyName"] for n in p["names"]} == {"Kilbride"})
        assert len({s["partner"] for s in kilbride["sources"]}) == 3

        agency = run_example(page, "child-protection")
        assert all(p["intelligence"] is None for p in agency["data"]["searchPersons"]["people"])
        assert "UNAUTHORIZED_FIELD_OR_TYPE" in {e["extensions"]["code"] for e in agency["errors"]}

        auditor = run_example(page, "auditor")
        assert auditor["data"]["auditEvents"]["events"]

        kept = page.evaluate(
            "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
        )
        cookies = json.dumps(context.cookies())
        # A JWT starts "eyJ" (base64 of '{"'): no token, and no name, anywhere the browser keeps things.
        for secret in ("Kilbride", "Bearer", "eyJ", "Authorization"):
            assert secret not in kept and secret not in cookies and secret not in page.url, secret
        browser.close()
    assert elsewhere == [], elsewhere
    assert not [e for e in errors if "Content Security Policy" in e], errors


def _serve_demo_hub(settings: HubSettings, configs: Any) -> Any:
    """A demo hub (its clients seeded, its demo routes on) served on loopback: the running server."""

    async def seed() -> None:
        engine = create_engine(settings.effective_database_url)
        try:
            await prepare_database(engine, migrate=True)
            await seed_demo_clients(AuthServices.from_settings(settings, engine).clients)
        finally:
            await engine.dispose()

    asyncio.run(seed())
    app = create_app(settings, partners=configs)
    app.router.routes[:0] = demo_routes(app.state.auth.token_for, metrics=False)
    return ServerThread(app).start()


def shows(page: Any, text: str, seconds: float = 10) -> None:
    """Wait until the result pane shows `text` (polled from here: the page's CSP forbids evaluated code)."""
    deadline = time.monotonic() + seconds
    while text not in page.inner_text(".result-window"):
        assert time.monotonic() < deadline, (
            f"the result pane never showed {text!r}: {page.inner_text('.result-window')}"
        )
        page.wait_for_timeout(100)


@pytest.fixture
def watching_hub(
    demo_urls: dict[str, str], southmoor_server: Partner, own_eastvale: Partner, tmp_path: Path
) -> Iterator[str]:
    """A demo hub polling an Eastvale of this test's own every half second."""
    settings = HubSettings(data_dir=tmp_path / "hub", graphiql=True, watch_poll_seconds=0.5)
    server = _serve_demo_hub(settings, partner_configs(demo_urls, southmoor_server.url, own_eastvale.url))
    try:
        yield server.url
    finally:
        server.stop()


def test_a_watch_tells_graphiql_of_an_arrest_as_it_happens(watching_hub: str, own_eastvale: Partner) -> None:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{watching_hub}/graphql")
        page.wait_for_selector(".graphiql-container", timeout=20_000)
        search = run_example(page, "investigator")
        darren = next(
            person
            for person in search["data"]["searchPersons"]["people"]
            if any(n["givenName"] == "Darren" for n in person["names"])
        )
        ref = next(s["recordId"] for s in darren["sources"] if s["partner"] == "eastvale")
        # As a user pastes the id into the second example.
        watch = f'mutation Watch {{ watchPerson(personId: "{darren["id"]}", kinds: [CUSTODY]) {{ id }} }}'
        subscription = (
            "subscription Events { personEvents { kind partnerTitle custody { id arrestReason } } }"
        )

        def run(document: str) -> None:
            editor = "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
            page.evaluate(f"text => {editor}.setValue(text)", document)
            page.wait_for_timeout(500)  # GraphiQL reads the operation's name from the editor
            page.click(".graphiql-execute-button")

        with page.expect_response(
            lambda r: r.url.endswith("/graphql") and "watchPerson" in (r.request.post_data or "")
        ):
            run(watch)
        shows(page, "watchPerson")
        with page.expect_websocket() as socket:
            run(subscription)
        socket.value.wait_for_event("framereceived")  # connection_ack: the hub took the headers' token
        with httpx.Client() as client:
            body = {
                "subjectRef": ref,
                "reason": "Wanted on warrant",
                "offences": [{"code": "W1", "wording": "FTA"}],
            }
            custody = client.post(f"{own_eastvale.url}/_demo/arrests", json=body).json()["ref"]

        shows(page, custody, seconds=20)  # the poll interval, and the browser's turn
        shown = page.inner_text(".result-window")
        browser.close()
    assert "CUSTODY" in shown and "Wanted on warrant" in shown and "Eastvale" in shown
    assert not [e for e in errors if "Content Security Policy" in e], errors


@pytest.fixture(scope="module")
def plain_hub(tmp_path_factory: Any) -> Iterator[str]:
    """A hub with GraphiQL on and no demo: no role picker, no token."""
    app = create_app(HubSettings(data_dir=tmp_path_factory.mktemp("plain"), graphiql=True), partners=[])
    server = ServerThread(app).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_a_caller_without_a_token_is_told_what_the_documentation_needs(plain_hub: str) -> None:
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        page.goto(f"{plain_hub}/graphql")
        page.wait_for_selector(".graphiql-container", timeout=20_000)
        page.wait_for_function("document.getElementById('hub-notice').textContent.length > 0")
        assert "access token" in page.inner_text("#hub-notice")
        assert page.is_hidden("#hub-role-label")
        headers = page.evaluate("document.querySelector('.graphiql-editor-tool').innerText")
        assert "Hub-Purpose" in headers or page.locator("text=Hub-Purpose").count() > 0
        browser.close()
