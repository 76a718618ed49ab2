"""What the worker threads promise: a stuck database call leaves the loop free; a burst above the
pool queues and succeeds when its work fits in the pool timeout; a cancelled request's thread keeps
its slot until it is done; apps on one event loop do not share their threads.

All on committed data, with real row locks (see tests/test_faults.py for the 503 on a full pool).
"""

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import event

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.main import create_app

from .clients import app_client
from .committed_rows import delete_accounts, row_locked
from .declared import record_responses
from .live import StartApp
from .polling import eventually
from .protocols import Sql
from .server_sessions import APPLICATION_NAME, THIS_DATABASE, app_sessions

PROMPT_SECONDS = 0.5


@pytest.fixture
async def accounts(live_sql: Sql) -> AsyncIterator[tuple[int, int]]:
    """A source with money and an empty target, committed; deleted with their transfers after."""
    rows = await live_sql(
        "INSERT INTO accounts (owner, balance_cents) VALUES ('source', 100000), ('target', 0) RETURNING id"
    )
    source, target = (int(id_) for (id_,) in rows)
    yield source, target
    await delete_accounts(live_sql, [source, target])


@pytest.fixture
def start_app_itself(settings: Settings) -> Callable[..., Any]:
    """Like `start_app`, but yields the app too, for a look at its engine and threads."""

    @asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
        app = record_responses(create_app(settings.model_copy(update=changes)))
        async with LifespanManager(app), app_client(app) as client:
            yield app, client

    return start


class PeakCheckouts:
    """The most connections the app's pool had checked out at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0

    def checkout(self, *_: object) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def checkin(self, *_: object) -> None:
        self.now -= 1


@contextmanager
def peak_checkouts(database: Database) -> Iterator[PeakCheckouts]:
    peak = PeakCheckouts()
    pool = database.engine.pool
    event.listen(pool, "checkout", peak.checkout)
    event.listen(pool, "checkin", peak.checkin)
    try:
        yield peak
    finally:
        event.remove(pool, "checkout", peak.checkout)
        event.remove(pool, "checkin", peak.checkin)


async def waiting_on_a_lock(live_sql: Sql, sessions: int = 1) -> bool:
    rows = await live_sql(
        "SELECT count(*) FROM pg_stat_activity"
        f" WHERE wait_event_type = 'Lock' AND application_name = '{APPLICATION_NAME}' AND {THIS_DATABASE}"
    )
    return bool(rows[0][0] >= sessions)


async def send(client: AsyncClient, source: int, target: int) -> Response:
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 1}
    return await client.post("/transfers", json=body)


async def test_live_answers_while_a_request_waits_on_the_database(
    live_client: AsyncClient, live_sql: Sql, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    async with row_locked(live_sql, "accounts", source):
        transfer = asyncio.create_task(send(live_client, source, target))
        assert await eventually(lambda: waiting_on_a_lock(live_sql))

        started = time.perf_counter()
        live = await live_client.get("/health/live")
        elapsed = time.perf_counter() - started
        still_waiting = not transfer.done()

    assert live.status_code == 200
    assert elapsed < PROMPT_SECONDS
    assert still_waiting
    assert (await transfer).status_code == 201


async def test_a_burst_beyond_the_pool_queues_and_all_succeed(
    start_app_itself: Callable[..., Any], live_sql: Sql, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    capacity, burst = 3, 30  # ten requests per connection, all at once
    async with start_app_itself(db_pool_size=2, db_max_overflow=1, db_pool_timeout=5) as (app, client):
        with peak_checkouts(app.state.database) as peak:
            responses = await asyncio.gather(*(send(client, source, target) for _ in range(burst)))
            reads = await asyncio.gather(*(client.get(f"/accounts/{target}") for _ in range(burst)))

    assert [response.status_code for response in responses] == [201] * burst
    assert [read.status_code for read in reads] == [200] * burst
    assert peak.peak == capacity  # the burst filled the pool, and never went past it
    assert await live_sql(f"SELECT balance_cents FROM accounts WHERE id = {target}") == [(burst,)]


async def test_a_cancelled_request_keeps_its_thread_until_its_query_ends(
    start_app_itself: Callable[..., Any], live_sql: Sql, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    async with start_app_itself(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5) as (app, client):
        database: Database = app.state.database
        async with row_locked(live_sql, "accounts", source):
            transfer = asyncio.create_task(send(client, source, target))
            assert await eventually(lambda: waiting_on_a_lock(live_sql))
            transfer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await transfer
            # The thread still waits on the lock, on the only connection: no second thread starts
            # to wait on the pool behind it, and the next request is told so in time.
            assert database.threads.busy == 1
            started = time.monotonic()
            busy = await client.get(f"/accounts/{target}")
            waited = time.monotonic() - started
            assert busy.status_code == 503
            assert busy.json()["code"] == "database_busy"
            assert waited < 0.5 + 0.5

        # The lock gone, the abandoned transfer commits and its session is closed after it.
        assert await eventually(lambda: asyncio.sleep(0, result=database.threads.busy == 0))
        assert database.pool_status()["checked_out"] == 0
        assert set(await app_sessions(live_sql)) <= {"idle"}
        assert (await client.get(f"/accounts/{target}")).json()["balance_cents"] == 1
        assert (await send(client, source, target)).status_code == 201


async def test_apps_on_one_loop_do_not_share_their_threads(
    start_app: StartApp, live_sql: Sql, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    small = start_app(db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.5)
    roomy = start_app(db_pool_size=3, db_max_overflow=0, db_pool_timeout=5)
    async with roomy as other, small as stuck:
        async with row_locked(live_sql, "accounts", source):
            holder = asyncio.create_task(send(stuck, source, target))
            assert await eventually(lambda: waiting_on_a_lock(live_sql))

            # The small app's only thread is taken until the lock goes; the other app's threads
            # are its own, so its requests do not wait for that.
            reads = asyncio.gather(*(other.get(f"/accounts/{target}") for _ in range(9)))
            statuses = [read.status_code for read in await asyncio.wait_for(reads, timeout=5)]
            assert statuses == [200] * 9
            assert not holder.done()
            assert (await stuck.get(f"/accounts/{target}")).status_code == 503

        assert (await holder).status_code == 201
