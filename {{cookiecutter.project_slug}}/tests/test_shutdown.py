"""Graceful shutdown, for real: `serve` runs in a process of its own, gets SIGTERM while a request
waits on a row lock, answers 503 to readiness while it drains, stops listening, lets the request
finish, closes its pool and exits 0; its JSON log tells the story, request id included."""

import asyncio
import signal
from collections.abc import AsyncIterator

import httpx
import pytest

{% if cookiecutter.auth == "jwt" %}from .support.auth_provider import caller_headers
{% endif %}from .support.committed_rows import committed_item, row_locked
from .support.live import PathTo
from .support.polling import eventually
from .support.protocols import Sql
from .support.server_sessions import has_active_session
from .support.serving import ServeProcess, serving

# Long enough to see readiness at 503: the test probes every 20 ms and a probe to a local process
# takes milliseconds, ~100 ms on a loaded two-core machine; so five chances even then. The test
# waits for the whole drain, so it is no longer than that.
DRAIN_SECONDS = 0.5
REQUEST_ID = "in-flight-1"


@pytest.fixture
async def serve_process(database_url: str, path_to: PathTo) -> AsyncIterator[ServeProcess]:
    """`serve` on the test database, answering readiness, with a drain long enough to watch."""
    async with serving(database_url, path_to, SHUTDOWN_DRAIN=str(DRAIN_SECONDS)) as server:
        yield server


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
