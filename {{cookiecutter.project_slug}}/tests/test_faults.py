"""The day the database misbehaves: timeouts, a full pool, a cut network, killed and cancelled
sessions. Real faults (row locks, a proxy, pg_terminate_backend), committed data."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import RETRY_AFTER_SECONDS, Failure

from .support import probe
from .support.committed_rows import committed_probe_row, row_locked
from .support.live import FAULT_TIMEOUT, PathTo, StartApp
from .support.polling import eventually
from .support.protocols import Sql
from .support.proxy import proxy_to
from .support.server_sessions import all_idle, app_sessions, has_active_session, terminate_app_sessions


@pytest.fixture
async def row_id(live_sql: Sql) -> AsyncIterator[int]:
    async with committed_probe_row(live_sql) as committed:
        yield committed


async def ready(client: AsyncClient, path_to: PathTo) -> bool:
    return (await client.get(path_to("ready"))).status_code == 200


async def test_statement_timeout_is_504_and_the_next_request_succeeds(
    start_app: StartApp, live_sql: Sql, row_id: int, path_to: PathTo
) -> None:
    row = path_to("update_probe_row", row_id=row_id)
    async with start_app(db_statement_timeout=FAULT_TIMEOUT) as client:
        async with row_locked(live_sql, probe.TABLE, row_id):
            started = time.monotonic()
            response = await client.patch(row, json={"n": 2})
            waited = time.monotonic() - started

        assert response.status_code == 504
        assert response.json()["code"] == Failure.TIMEOUT.code
        assert waited < 3
        assert (await client.patch(row, json={"n": 3})).status_code == 200


async def test_exhausted_pool_is_503_quickly_and_recovers(
    start_app: StartApp, live_sql: Sql, row_id: int, path_to: PathTo
) -> None:
    row, rows = path_to("update_probe_row", row_id=row_id), path_to("list_probe_rows")
    async with start_app(db_pool_size=1, db_max_overflow=0, db_pool_timeout=FAULT_TIMEOUT) as client:
        async with row_locked(live_sql, probe.TABLE, row_id):
            holder = asyncio.create_task(client.patch(row, json={"n": 2}))
            assert await eventually(lambda: has_active_session(live_sql))
            started = time.monotonic()
            response = await client.get(rows)
            waited = time.monotonic() - started

        assert response.status_code == 503
        assert response.headers["retry-after"] == RETRY_AFTER_SECONDS
        assert response.json()["code"] == Failure.BUSY.code
        assert waited < FAULT_TIMEOUT + 0.5
        assert (await holder).status_code == 200
        assert (await client.get(rows)).status_code == 200


async def test_unreachable_database_then_recovery_without_restart(
    start_app: StartApp, database_url: str, path_to: PathTo
) -> None:
    rows = path_to("list_probe_rows")
    async with proxy_to(database_url) as proxy:
        await proxy.cut()
        async with start_app(database_url=proxy.url, db_connect_timeout=1, ready_timeout=1) as client:
            assert (await client.get(path_to("live"))).status_code == 200
            assert (await client.get(path_to("ready"))).status_code == 503
            down = await client.get(rows)
            assert down.status_code == 503
            assert down.headers["retry-after"] == RETRY_AFTER_SECONDS

            await proxy.restore()
            assert await eventually(lambda: ready(client, path_to))
            assert (await client.get(rows)).status_code == 200

            await proxy.cut()
            assert (await client.get(rows)).status_code == 503
            await proxy.restore()
            assert await eventually(lambda: ready(client, path_to))


async def test_connections_killed_by_the_server_are_replaced(
    start_app: StartApp, live_sql: Sql, path_to: PathTo
) -> None:
    rows = path_to("list_probe_rows")
    # This app's connections only: the run's shared app, left with dead ones, would log their loss.
    [(since,)] = await live_sql("SELECT clock_timestamp()")
    async with start_app() as client:
        await asyncio.gather(*(client.get(rows) for _ in range(10)))
        assert await terminate_app_sessions(live_sql, since)

        responses = await asyncio.gather(*(client.get(rows) for _ in range(20)))

    assert [response.status_code for response in responses] == [200] * 20


async def test_writes_after_the_server_closed_idle_connections_get_new_ones(
    start_app: StartApp, live_sql: Sql, path_to: PathTo
) -> None:
    # No pre-ping finds these: each layer sees at checkout what its driver has read of the close.
    rows = path_to("create_probe_row")  # also where they are listed
    [(since,)] = await live_sql("SELECT clock_timestamp()")
    async with start_app() as client:
        await asyncio.gather(*(client.get(rows) for _ in range(10)))
        assert await terminate_app_sessions(live_sql, since, wait_ms=5000)
        try:
            responses = await asyncio.gather(
                *(client.post(rows, json={"name": f"after-kill-{n}"}) for n in range(10))
            )
            assert [response.status_code for response in responses] == [201] * 10, responses[0].text
        finally:
            await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE 'after-kill-%'")


async def test_reads_on_connections_the_network_dropped_silently_are_answered(
    start_app: StartApp, database_url: str, path_to: PathTo
) -> None:
    # The loss shows only when a connection is used (a reset), so a check at checkout that needs
    # no round trip cannot see it: the read must be sent again on a new connection, or pinged first.
    rows = path_to("list_probe_rows")
    async with proxy_to(database_url) as proxy, start_app(database_url=proxy.url) as client:
        await asyncio.gather(*(client.get(rows) for _ in range(10)))
        await proxy.forget()

        responses = await asyncio.gather(*(client.get(rows) for _ in range(20)))
        assert [response.status_code for response in responses] == [200] * 20, responses[0].text


async def test_cancelled_requests_return_their_connections(
    start_app: StartApp, live_sql: Sql, row_id: int, path_to: PathTo
) -> None:
    row = path_to("update_probe_row", row_id=row_id)
    async with start_app(db_pool_size=5, db_max_overflow=0, db_pool_timeout=10) as client:
        async with row_locked(live_sql, probe.TABLE, row_id):
            requests = [asyncio.wait_for(client.patch(row, json={"n": n}), timeout=0.3) for n in range(100)]
            outcomes = await asyncio.gather(*requests, return_exceptions=True)
        assert all(isinstance(outcome, TimeoutError) for outcome in outcomes)

        assert await eventually(lambda: all_idle(live_sql)), await app_sessions(live_sql)

        # The server's sessions go idle first; a worker thread then still rolls back and hands its
        # connection in (sync layer), which on a loaded machine takes a moment. A leak never does.
        async def all_handed_back() -> bool:
            ready = await client.get(path_to("ready"))
            return ready.status_code == 200 and ready.json()["pool"]["checked_out"] == 0

        assert await eventually(all_handed_back), (await client.get(path_to("ready"))).json()
        assert (await client.patch(row, json={"n": 7})).status_code == 200
