"""GraphiQL, served by the hub itself, for networks that reach nothing else (HUB_GRAPHIQL).

    GET /graphql (a browser, no URL parameters)   the page
    GET /graphiql/static/NAME                      its files, shipped in this package (`graphiql_static/`):
                                                   GraphiQL 3.8.3, React 18.3.1 and React DOM 18.3.1 as
                                                   their npm packages build them (LICENSES.txt), and the
                                                   hub's own script and styles
    GET /graphiql/examples.json                    example operations for each kind of caller

Nothing on the page comes from another origin: a Content-Security-Policy allows scripts, styles, images and
connections from the hub's own origin only (styles may also be set inline: GraphiQL's editor sets them), and
every script and stylesheet carries its Subresource Integrity hash. Nothing personal or secret is kept in the
browser: GraphiQL is given a storage that keeps nothing (no tabs, queries, variables or headers in
localStorage), headers are never persisted, and nothing is written to the URL; the token lives in the page's
memory for as long as the tab. The Headers editor starts with placeholders for `Authorization`, `Hub-Purpose`
and `Hub-Justification`. In the demo a role picker fills them in (`/_demo/tokens`, served only by
`hub demo`).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

__all__ = ["CSP", "EXAMPLES", "STATIC_PATH", "graphiql_page", "graphiql_routes"]

#: Where the page's files are served from, and the files (name -> media type).
STATIC_PATH = "/graphiql/static"
_FILES = {
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "hub-graphiql.js": "text/javascript",
    "hub-graphiql.css": "text/css",
    "LICENSES.txt": "text/plain",
}
#: The page's Content-Security-Policy: its own origin only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_KILBRIDE = """\
query Kilbride {
  searchPersons(criteria: {familyName: "Kilbride"}) {
    people {
      id
      names { familyName givenName }
      dateOfBirth
      pncId
      sources { partner recordId }
      warningMarkers { code description partner }
      intelligence { summary grading partner }
      custody { custodyNumber station arrestedAt outcome }
      safeguarding { kind occurredAt childrenPresent contactPoint }
    }
    partners { name outcome latencyMs }
  }
}"""

#: Example operations for each kind of caller: (role, title, document). Each runs as that role.
EXAMPLES: dict[str, list[dict[str, str]]] = {
    "investigator": [
        {"title": "Kilbride, everything", "query": _KILBRIDE},
        {
            "title": "Watch a person (an id from the search)",
            "query": 'mutation Watch {\n  watchPerson(personId: "P1... an id from the search", '
            "kinds: [CUSTODY, PEOPLE]) {\n    id personId kinds expiresAt\n  }\n}",
        },
        {
            "title": "What your watches are told, as it happens",
            "query": "subscription Events {\n  personEvents {\n    kind partnerTitle detectedAt\n"
            "    custody { id station arrestedAt arrestReason }\n"
            "    matchedRecord { recordId matchedBy confidence }\n  }\n}",
        },
    ],
    "frontline": [
        {
            "title": "Hit or no hit",
            "query": 'query Check {\n  personMatch(criteria: {familyName: "Kilbride"}) {\n    hit\n'
            "    matches { partner hit contactPoint }\n  }\n}",
        },
        {"title": "Kilbride", "query": _KILBRIDE},
    ],
    "child-protection": [{"title": "Kilbride, as a MASH team sees him", "query": _KILBRIDE}],
    "auditor": [
        {
            "title": "Recent audit events",
            "query": "query Recent {\n  auditEvents(first: 10) {\n    events { seq occurredAt clientId "
            "organisation purpose outcome disclosed { partner kind } }\n    endCursor\n  }\n}",
        }
    ],
    "developer": [
        {
            "title": "Partners and their health",
            "query": "query Partners {\n  partners { name title kind breaker recentFailures }\n}",
        }
    ],
}


@cache
def _file(name: str) -> bytes:
    return resources.files("hub.http").joinpath("graphiql_static", name).read_bytes()


@cache
def _integrity(name: str) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(_file(name)).digest()).decode("ascii")


def _tag(name: str) -> str:
    src, integrity = f"{STATIC_PATH}/{name}", _integrity(name)
    if name.endswith(".css"):
        return f'<link rel="stylesheet" href="{src}" integrity="{integrity}" crossorigin="anonymous">'
    return f'<script src="{src}" integrity="{integrity}" crossorigin="anonymous"></script>'


@cache
def _page() -> str:
    head = "\n    ".join(_tag(name) for name in ("graphiql.min.css", "hub-graphiql.css"))
    order = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "hub-graphiql.js")
    scripts = "\n    ".join(_tag(name) for name in order)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Police information hub: GraphiQL</title>
    {head}
  </head>
  <body>
    <header id="hub-bar">
      <strong>Police information hub</strong>
      <label id="hub-role-label" hidden>Act as
        <select id="hub-role"></select>
      </label>
      <span id="hub-notice" role="status"></span>
    </header>
    <main id="graphiql">Loading GraphiQL&hellip;</main>
    {scripts}
  </body>
</html>
"""


def graphiql_page() -> Response:
    """The GraphiQL page, with its Content-Security-Policy."""
    return HTMLResponse(_page(), headers=_PAGE_HEADERS)


async def _static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _FILES:
        return Response("Not found.", status_code=404, media_type="text/plain")
    etag = '"' + _integrity(name).removeprefix("sha384-")[:32] + '"'
    headers = {"Cache-Control": "public, max-age=86400", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(_file(name), media_type=_FILES[name], headers=headers)


async def _examples(request: Request) -> Response:
    return JSONResponse(EXAMPLES, headers={"Cache-Control": "no-store"})


def graphiql_routes() -> list[Route]:
    """The page's files and examples (the page itself is `/graphql`'s, for browsers)."""
    return [
        Route(STATIC_PATH + "/{name}", _static, methods=["GET"], name="graphiql_static"),
        Route("/graphiql/examples.json", _examples, methods=["GET"], name="graphiql_examples"),
    ]
