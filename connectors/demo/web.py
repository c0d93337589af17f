"""The demo's own pages, added to the hub's app by `hub demo` only (never by `hub serve`):

    GET /                 a landing page: GraphiQL, the health and readiness checks, metrics where enabled,
                          and each demo client's token with a copy button
    GET /_demo/tokens     each demo client's fresh token and a purpose it may state, for GraphiQL's "Act as"
    GET /_demo/landing.js the landing page's copy buttons

They hand out tokens to whoever reaches them: the demo listens on loopback, for one developer.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from connectors.demo.clients import DEMO_CLIENTS
from hub.http.graphiql import CSP

__all__ = ["demo_routes"]

_LANDING_JS = """\
// Copy buttons of the demo's landing page.
document.querySelectorAll('button[data-copy]').forEach(function (button) {
  button.addEventListener('click', function () {
    var field = document.getElementById(button.dataset.copy);
    navigator.clipboard.writeText(field.value).then(function () { button.textContent = 'Copied'; });
  });
});
"""


def _purpose(purposes: tuple[str, ...] | None) -> str:
    return purposes[0] if purposes else "investigation"


def demo_routes(token_for: Callable[[str], Awaitable[str]], metrics: bool) -> list[Route]:
    """The demo's pages; `token_for` mints a demo client's token, `metrics` says whether /metrics is on."""

    async def tokens(request: Request) -> Response:
        body = {
            c.client_id: {
                "token": await token_for(c.client_id),
                "purpose": "audit" if c.client_id == "auditor" else _purpose(c.purposes),
                "description": c.description,
            }
            for c in DEMO_CLIENTS
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def landing(request: Request) -> Response:
        rows = []
        for c in DEMO_CLIENTS:
            token = html.escape(await token_for(c.client_id))
            rows.append(
                f"<tr><th>{html.escape(c.client_id)}</th><td>{html.escape(c.description)}</td>"
                f'<td><input id="t-{c.client_id}" value="{token}" readonly size="40"> '
                f'<button data-copy="t-{c.client_id}">Copy</button></td></tr>'
            )
        links = [
            ("/graphql", "GraphiQL (pick a role under Act as)"),
            ("/healthz", "/healthz: is the hub up, can it write its audit trail"),
            ("/readyz", "/readyz: can it serve (database, partners)"),
        ]
        if metrics:
            links.append(("/metrics", "/metrics: Prometheus metrics (needs HUB_METRICS_TOKEN)"))
        items = "".join(f'<li><a href="{href}">{html.escape(text)}</a></li>' for href, text in links)
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Police information hub: demo</title></head>
<body>
<h1>Police information hub: demo</h1>
<ul>{items}</ul>
<p>The documentation is in the repository's <code>docs/</code> folder; the schema in GraphiQL's
documentation explorer.</p>
<h2>Demo clients' tokens (valid 15 minutes; reload for fresh ones)</h2>
<table>{"".join(rows)}</table>
<script src="/_demo/landing.js"></script>
</body></html>"""
        return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})

    async def landing_js(request: Request) -> Response:
        return Response(_LANDING_JS, media_type="text/javascript")

    return [
        Route("/", landing, methods=["GET"], name="demo_landing"),
        Route("/_demo/tokens", tokens, methods=["GET"], name="demo_tokens"),
        Route("/_demo/landing.js", landing_js, methods=["GET"], name="demo_landing_js"),
    ]
