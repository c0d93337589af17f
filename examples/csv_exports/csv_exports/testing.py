"""The conformance suite's target for this connector:

    pytest --conformance-target csv_exports.testing:conformance_target

The demo export server runs on loopback in a thread of the test process, serving the sample exports
(`sample/`): four people, three custody events, a PNC ID written in its short form and one that is a typo.
"""

from __future__ import annotations

import socket
import threading
import time
from functools import cache
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from connectors import PartnerConfig
from connectors.conformance import ConformanceSample, ConformanceTarget
from csv_exports.connector import CsvExportConnector
from csv_exports.server import DEMO_API_KEY, create_app

__all__ = ["SAMPLE", "conformance_target", "partner_config", "serve"]

SAMPLE = Path(__file__).with_name("sample")


def partner_config(base_url: str, timeout: float = 5.0, name: str = "westmarch") -> PartnerConfig:
    """The partners-file entry of a csv-export partner at `base_url`, with the demo API key."""
    return PartnerConfig(
        name=name,
        kind="csv-export",
        title="Westmarch Police",
        timeout=timeout,
        connection={"base_url": base_url, "api_key": DEMO_API_KEY},
    )


def serve(directory: Path) -> tuple[Starlette, str]:
    """The export server on `directory`, started on a free loopback port in a daemon thread."""
    app = create_app(directory)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the export server did not start")
        time.sleep(0.01)
    return app, f"http://127.0.0.1:{port}"


@cache
def _sample_server() -> tuple[Starlette, str]:
    return serve(SAMPLE)


def conformance_target() -> ConformanceTarget:
    app, url = _sample_server()
    return ConformanceTarget(
        connect=lambda: CsvExportConnector(partner_config(url)),
        sample=ConformanceSample(
            family_name="Ashworth", known_ids=("WM-0001", "WM-0003", "WM-0004"), pnc_id="2001/0318824M"
        ),
        at_url=lambda other, timeout: CsvExportConnector(partner_config(other, timeout)),
        requests=lambda: int(app.state.requests),
    )
