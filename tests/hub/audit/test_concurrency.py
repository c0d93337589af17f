"""Two hub processes appending to one database at once still make one linear, verifiable chain."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from hub.audit.store import AuditFilter, AuditStore
from tests.hub.audit.conftest import make_event

PER_PROCESS = 100

# A hub process in miniature: its own engine and store, appending as fast as it can.
WRITER = """
import asyncio, sys
from hub.audit.store import AuditStore
from hub.db import create_engine
from tests.hub.audit.conftest import make_event

async def main(url: str, client: str, count: int) -> None:
    engine = create_engine(url)
    try:
        store = AuditStore(engine, write_timeout=30.0)
        for n in range(count):
            await store.append(make_event(n, client_id=client))
    finally:
        await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_appending_at_once_make_one_chain(db_url: str, store: AuditStore) -> None:
    root = Path(__file__).resolve().parents[3]
    writers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, db_url, client, str(PER_PROCESS), cwd=root, stderr=subprocess.PIPE
        )
        for client in ("replica-a", "replica-b")
    ]
    for writer in writers:
        _, stderr = await asyncio.wait_for(writer.communicate(), 120)
        assert writer.returncode == 0, stderr.decode()

    result = await store.verify()
    assert (result.ok, result.checked) == (True, 2 * PER_PROCESS), result.reason
    assert await store.count(AuditFilter(client_id="replica-a")) == PER_PROCESS
    assert await store.count(AuditFilter()) == 2 * PER_PROCESS
    assert (await store.append(make_event())).seq == 2 * PER_PROCESS + 1
