"""Graceful shutdown, for real: `serve` runs in a process of its own, gets SIGTERM while a request
waits on a row lock, answers 503 to readiness while it drains, stops listening, lets the request
finish, closes its pool and exits 0; its JSON log tells the story, request id included."""

import asyncio
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

{% if cookiecutter.auth == "jwt" %}from .support.auth_provider import caller_headers
{% endif %}from .support.committed_rows import committed_item, row_locked
from .support.live import PathTo
from .support.polling import eventually
from .support.processes import SERVE, free_port
from .support.protocols import Sql
from .support.server_sessions import has_active_session

# Long enough to see readiness at 503: the test probes every 20 ms and a probe to a local process
# takes milliseconds, ~100 ms on a loaded two-core machine; so five chances even then. The test
# waits for the whole drain, so it is no longer than that.
DRAIN_SECONDS = 0.5
REQUEST_ID = "in-flight-1"


@dataclass
class ServeProcess:
    """`serve` running in a process of its own, and how the test watches it."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    # No keep-alive: each probe opens a fresh connection, as a load balancer's health check does.
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


@pytest.fixture
def log_folder() -> Iterator[Path]:
    # Not pytest's tmp_path: creating it makes /tmp/pytest-of-root private to root again, and the
    # embedded PostgreSQL's own user, whose binaries may live below it, could then not stop it.
    with tempfile.TemporaryDirectory(prefix="serve-") as folder:
        yield Path(folder)


@pytest.fixture
async def serve_process(database_url: str, log_folder: Path, path_to: PathTo) -> AsyncIterator[ServeProcess]:
    """`serve` on the test database, answering readiness, with a drain long enough to watch."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "INFO",
        "PORT": str(port),
        "LOG_FORMAT": "json",
        "SHUTDOWN_DRAIN": str(DRAIN_SECONDS),
    }
    log = log_folder / "serve.log"
    # Forking a big test process and loading the CA bundle (every httpx client does) take a while:
    # off the event loop, like every blocking call.
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


async def test_sigterm_drains_then_lets_the_request_in_flight_finish(
    serve_process: ServeProcess, live_sql: Sql, path_to: PathTo
) -> None:
    async with (
        committed_item(live_sql) as item_id,
        httpx.AsyncClient(base_url=serve_process.url, timeout=60{{ ", headers=caller_headers()" if cookiecutter.auth == "jwt" }}) as http,
    ):
        async with row_locked(live_sql, "items", item_id):
            in_flight = asyncio.create_task(
                http.patch(
                    path_to("update_item", item_id=item_id),
                    json={"price_cents": 2},
                    headers={"X-Request-ID": REQUEST_ID},
                )
            )
            assert await eventually(lambda: has_active_session(live_sql))

            serve_process.process.send_signal(signal.SIGTERM)

            async def draining() -> bool:
                return await serve_process.status(path_to("ready")) == 503

            async def closed() -> bool:
                return await serve_process.status(path_to("live")) is None

            assert await eventually(draining, within=DRAIN_SECONDS)
            assert await eventually(closed, within=DRAIN_SECONDS + 10)
            assert not in_flight.done()  # still waiting for the lock, after the server stopped listening
        response = await in_flight
        assert response.status_code == 200
        assert response.json()["price_cents"] == 2
    assert await asyncio.to_thread(serve_process.process.wait, 30) == 0

    messages = [(line["message"], line.get("request_id")) for line in serve_process.lines()]
    drained = messages.index(("SIGTERM: draining", None))
    finished = next(n for n, (text, rid) in enumerate(messages) if (text, rid) == ("request", REQUEST_ID))
    closed_at = messages.index(("database pool closed", None))
    assert drained < finished < closed_at
