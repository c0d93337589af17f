"""The compose stack's topology without Docker: several `hub serve` processes on one PostgreSQL database and
one Redis, in front of the demo partners, on this machine (`hub demo stack`, and the tests).

    with Stack(data_dir, database_url, redis_url, replicas=2).start() as stack:
        stack.urls          # each replica's base URL
        stack.token("investigator")
        stack.kill(0)       # SIGKILL one replica

Every replica is a real process started as a deployment starts it: the schema migrated once first
(`hub db upgrade`), the replicas with HUB_AUTO_MIGRATE=false.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from connectors.demo.embedded import DemoPartners, ensure_data, free_port, partners_toml

__all__ = ["Stack"]


class Stack:
    """Demo partners and `replicas` hub processes sharing `database_url` and `redis_url`.

    Args:
        data_dir: Where the demo's partner data and the partners file go.
        database_url: The hub's database (PostgreSQL, for replicas).
        redis_url: The Redis the replicas share.
        replicas: How many hub processes.
        people: Synthetic people per demo force.
        env: More environment for the hub processes (HUB_* settings).
    """

    def __init__(
        self,
        data_dir: Path,
        database_url: str,
        redis_url: str,
        replicas: int = 2,
        people: int = 300,
        env: dict[str, str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir, self.replicas, self.people, self.host = data_dir, replicas, people, host
        self.env = {
            **os.environ,
            "HUB_DATA_DIR": str(data_dir),
            "HUB_DATABASE_URL": database_url,
            "HUB_REDIS_URL": redis_url,
            "HUB_AUTO_MIGRATE": "false",
            **(env or {}),
        }
        self.partners: DemoPartners | None = None
        self.processes: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []

    def _hub(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args], env=self.env, capture_output=True, text=True, check=check
        )

    def start(self, timeout: float = 60.0) -> Stack:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        urls = asyncio.run(ensure_data(self.data_dir, self.people, 2026, False, lambda _: None))
        self.partners = DemoPartners(urls, host=self.host)
        endpoints = self.partners.start()
        partners_file = self.data_dir / "partners.toml"
        partners_file.write_text(partners_toml(urls, endpoints))
        self._hub("db", "upgrade")
        self._hub("demo", "clients")
        for _ in range(self.replicas):
            port = free_port(self.host)
            command = [
                *(sys.executable, "-m", "hub", "serve", "--partners", str(partners_file)),
                *("--host", self.host, "--port", str(port)),
            ]
            self.processes.append(
                subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
            self.urls.append(f"http://{self.host}:{port}")
        deadline = time.monotonic() + timeout
        for process, url in zip(self.processes, self.urls, strict=True):
            while not _ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the hub replica at {url} did not start within {timeout:g}s")
                time.sleep(0.2)
        return self

    def token(self, client: str = "investigator") -> str:
        """A token for a demo client, as `hub token` prints it (valid at every replica)."""
        return self._hub("token", "--client", client).stdout.strip()

    def kill(self, replica: int) -> None:
        """SIGKILL one replica: no shutdown, no flush; what it answered must already be in the trail."""
        process = self.processes[replica]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.partners is not None:
            self.partners.stop()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
