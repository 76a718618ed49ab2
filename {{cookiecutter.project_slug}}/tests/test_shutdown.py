"""Graceful shutdown, for real: `serve` runs in a process of its own, gets SIGTERM while a request
waits on the database, answers 503 to readiness while it drains, stops listening, lets the request
finish, closes its pool and exits 0; its JSON log tells the story, request id included."""

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import pytest

from .support.live import PathTo
from .support.polling import eventually
from .support.proxy import Proxy, proxy_to
from .support.serving import ServeProcess, serving

# Long enough to see readiness at 503: the test probes every 20 ms and a probe to a local process
# takes milliseconds, ~100 ms on a loaded two-core machine; so five chances even then. The test
# waits for the whole drain, so it is no longer than that.
DRAIN_SECONDS = 0.5
REQUEST_ID = "in-flight-1"


@pytest.fixture
async def database_proxy(database_url: str) -> AsyncIterator[Proxy]:
    async with proxy_to(database_url) as proxy:
        yield proxy


@pytest.fixture
async def serve_process(database_proxy: Proxy, path_to: PathTo) -> AsyncIterator[ServeProcess]:
    """`serve` on the test database through a proxy, answering readiness, with a drain long enough
    to watch and a readiness check that waits for the database as long as the test holds it."""
    changes = {"SHUTDOWN_DRAIN": str(DRAIN_SECONDS), "READY_TIMEOUT": "60"}
    async with serving(database_proxy.url, path_to, **changes) as server:
        yield server


async def test_sigterm_drains_then_lets_the_request_in_flight_finish(
    serve_process: ServeProcess, database_proxy: Proxy, path_to: PathTo
) -> None:
    async with httpx.AsyncClient(base_url=serve_process.url, timeout=60) as http:
        # The request in flight is a readiness check whose statement the network holds: it began
        # before the drain, so it finishes, while the checks that come after it are refused.
        database_proxy.hold()
        in_flight = asyncio.create_task(http.get(path_to("ready"), headers={"X-Request-ID": REQUEST_ID}))

        async def waiting_on_the_database() -> bool:
            return database_proxy.held > 0

        assert await eventually(waiting_on_the_database)

        serve_process.process.send_signal(signal.SIGTERM)

        async def draining() -> bool:
            return await serve_process.status(path_to("ready")) == 503

        async def closed() -> bool:
            return await serve_process.status(path_to("live")) is None

        assert await eventually(draining, within=DRAIN_SECONDS)
        assert await eventually(closed, within=DRAIN_SECONDS + 10)
        assert not in_flight.done()  # still waiting for the database, after the server stopped listening
        database_proxy.release()
        response = await in_flight
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    assert await asyncio.to_thread(serve_process.process.wait, 30) == 0

    messages = [(line["message"], line.get("request_id")) for line in serve_process.lines()]
    drained = messages.index(("SIGTERM: draining", None))
    finished = next(n for n, (text, rid) in enumerate(messages) if (text, rid) == ("request", REQUEST_ID))
    closed_at = messages.index(("database pool closed", None))
    assert drained < finished < closed_at
