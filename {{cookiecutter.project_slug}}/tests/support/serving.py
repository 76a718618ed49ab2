"""`serve` in a process of its own, as production runs it, on the test database: its URL, its JSON
log, and a probe that opens a fresh connection per request, as a load balancer's health check does."""

import asyncio
import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .live import PathTo
from .polling import eventually
from .processes import SERVE, free_port


@dataclass
class ServeProcess:
    """`serve` running in a process of its own, and how the test watches it."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    # No keep-alive: each probe opens a fresh connection.
    probe: httpx.AsyncClient
    path_to: PathTo

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    async def status(self, path: str) -> int | None:
        """The status a new connection gets; None when nothing listens."""
        try:
            return (await self.probe.get(f"{self.url}{path}")).status_code
        except httpx.TransportError:
            return None

    async def ready(self) -> bool:
        assert self.process.poll() is None, self.log.read_text()[-3000:]
        return await self.status(self.path_to("ready")) == 200


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen([SERVE], env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603


@contextlib.asynccontextmanager
async def serving(database_url: str, path_to: PathTo, **changes: str) -> AsyncIterator[ServeProcess]:
    """`serve` on `database_url` with the environment `changes`, answering readiness; killed on
    leaving if still running."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "LOG_FORMAT": "json",
        **changes,
    }
    # Not pytest's tmp_path: creating it makes /tmp/pytest-of-root private to root again, and the
    # embedded PostgreSQL's own user, whose binaries may live below it, could then not stop it.
    with tempfile.TemporaryDirectory(prefix="serve-") as folder:
        log = Path(folder) / "serve.log"
        # Forking a big test process and loading the CA bundle (every httpx client does) take a
        # while: off the event loop, like every blocking call.
        process = await asyncio.to_thread(start, env, log)
        limits = httpx.Limits(max_keepalive_connections=0)
        probe = await asyncio.to_thread(httpx.AsyncClient, timeout=2, limits=limits)
        async with probe:
            server = ServeProcess(process, f"http://127.0.0.1:{port}", log, probe, path_to)
            try:
                assert await eventually(server.ready, within=60), log.read_text()[-3000:]
                yield server
            finally:
                if process.poll() is None:
                    process.kill()
                await asyncio.to_thread(process.wait, 30)
