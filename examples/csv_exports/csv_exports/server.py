"""The demo export server: a force's nightly CSV exports, served as its system would publish them.

    python -m csv_exports.server DIR [--port 8090] [--api-key KEY]

serves DIR/people.csv and DIR/custody.csv as `text/csv` with an ETag (304 to a matching If-None-Match),
only to requests carrying `X-Api-Key: KEY`, and `GET /health`. `app.state.requests` counts the requests
for exports (the conformance suite's batching check reads it).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["DEMO_API_KEY", "create_app"]

DEMO_API_KEY = "csv-demo-key"
EXPORTS = ("people.csv", "custody.csv")


def create_app(directory: Path, api_key: str = DEMO_API_KEY) -> Starlette:
    async def export(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get("x-api-key", ""), api_key):
            return JSONResponse({"error": "a valid X-Api-Key is required"}, 401)
        name = request.path_params["name"]
        if name not in EXPORTS:
            return JSONResponse({"error": f"no export {name!r}"}, 404)
        request.app.state.requests += 1
        body = (directory / name).read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type="text/csv; charset=utf-8", headers={"ETag": etag})

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/health", health), Route("/{name}", export)])
    app.state.requests = 0
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a directory's nightly CSV exports.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--api-key", default=DEMO_API_KEY)
    args = parser.parse_args()
    import uvicorn

    uvicorn.run(create_app(args.directory, args.api_key), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
