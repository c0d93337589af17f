"""GraphiQL's page and files, without a browser: served by the hub (never a CDN), each script and stylesheet
with its integrity hash, a strict Content-Security-Policy, cache headers; example operations that validate
against the schema; the demo's token endpoint absent from every hub but the demo's; and the documentation
saying what each field needs."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator

import pytest
from graphql import parse, validate

from hub.http.graphiql import CSP, EXAMPLES
from hub.schema import create_schema, sdl
from tests.hub.http.test_rate_limits import _entered
from tests.support import HubClient, Partner, open_demo_hub

BROWSER = {"Accept": "text/html"}


@pytest.fixture
async def ide(demo_urls: dict[str, str], southmoor: Partner, eastvale: Partner) -> AsyncIterator[HubClient]:
    async with _entered(open_demo_hub(demo_urls, southmoor, eastvale, graphiql=True)) as hub:
        yield hub


async def test_the_page_loads_only_the_hubs_own_files_each_with_its_integrity(ide: HubClient) -> None:
    page = await ide.client.get("/graphql", headers=BROWSER)

    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    assert "default-src 'none'" in CSP and "http" not in CSP
    sources = re.findall(r'(?:src|href)="([^"]+)" integrity="([^"]+)"', page.text)
    assert len(sources) == 6
    for source, integrity in sources:
        assert source.startswith("/graphiql/static/"), source
        served = await ide.client.get(source)
        assert served.status_code == 200 and "max-age" in served.headers["cache-control"]
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert integrity == f"sha384-{digest}", source
        again = await ide.client.get(source, headers={"If-None-Match": served.headers["etag"]})
        assert again.status_code == 304
    assert "unpkg" not in page.text and "jsdelivr" not in page.text and "https://" not in page.text
    assert (await ide.client.get("/graphiql/static/../settings.py")).status_code == 404
    assert (await ide.client.get("/graphiql/static/nothing.js")).status_code == 404


async def test_the_page_and_its_files_exist_only_where_graphiql_is_on(hub: HubClient) -> None:
    assert (await hub.client.get("/graphiql/static/graphiql.min.js")).status_code == 404
    assert (await hub.client.get("/graphql", headers=BROWSER)).status_code != 200


async def test_no_hub_but_the_demo_hands_out_tokens(ide: HubClient) -> None:
    assert (await ide.client.get("/_demo/tokens")).status_code == 404
    assert (await ide.client.get("/")).status_code == 404


@pytest.mark.parametrize(
    ("role", "title", "query"), [(r, e["title"], e["query"]) for r, es in EXAMPLES.items() for e in es]
)
def test_every_example_validates_against_the_schema(role: str, title: str, query: str) -> None:
    assert validate(create_schema()._schema, parse(query)) == [], (role, title)


def test_the_documentation_says_what_each_field_needs() -> None:
    text = sdl()
    assert "Intelligence reports on the person, from every partner." in text
    assert (
        re.search(r"intelligence[^\n]*\n?[^\n]*Needs the scope intel:read\.", text)
        or "Needs the scope intel:read." in text
    )
    assert "Needs the scope markers:read or markers:health." in text
    assert "child-protection-agency: person:match, person:read, safeguarding:read" in text


async def test_the_demos_landing_page_links_everything_and_gives_each_role_a_token(ide: HubClient) -> None:
    from connectors.demo.web import demo_routes

    ide.app.router.routes[:0] = demo_routes(ide.app.state.auth.token_for, metrics=False)
    landing = await ide.client.get("/")
    assert landing.status_code == 200 and landing.headers["content-security-policy"] == CSP
    for link in ('href="/graphql"', 'href="/healthz"', 'href="/readyz"'):
        assert link in landing.text
    assert 'href="/metrics"' not in landing.text  # not enabled here
    assert landing.text.count('data-copy="t-') == 5 and landing.text.count('value="eyJ') == 5
    tokens = (await ide.client.get("/_demo/tokens")).json()
    assert set(tokens) == {"investigator", "frontline", "child-protection", "auditor", "developer"}
    assert tokens["child-protection"]["purpose"] == "safeguarding"
