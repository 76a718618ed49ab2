"""What the worker threads promise: a stuck database call leaves the loop free; a burst above the
pool queues and succeeds when its work fits in the pool timeout, never with more calls at work than
connections; waiting calls get a thread first come, first served; a cancelled request's thread
keeps its slot until it is done; apps on one event loop do not share their threads; stopping waits
for calls nobody waits for any more, then refuses new ones.

On committed rows of the template's probe (tests/support/probe.py), with real row locks (see
tests/test_faults.py for the 503 on a full pool); the order of admission and stopping are the
threads' own, shown with plain blocking calls.
"""

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import event
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.core.errors import PoolBusy
from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.db import Database, threadpool
from {{ cookiecutter.package_name }}.main import create_app

from .support import probe
from .support.clients import app_client
from .support.committed_rows import committed_probe_row, row_locked
from .support.declared import record_responses
from .support.live import FAULT_TIMEOUT, StartApp
from .support.polling import eventually
from .support.protocols import Sql
from .support.server_sessions import app_sessions, has_active_session

# The update below waits as long as the test holds the row lock, so live answering at all before the
# lock is released proves it does not queue behind the update's thread; this bound only turns a live
# stuck behind it into a failure instead of a hang.
LIVE_BOUND_SECONDS = 30


ROWS = probe.router.prefix


@pytest.fixture
async def row_id(live_sql: Sql) -> AsyncIterator[int]:
    """A committed probe row to lock and update; deleted after, with the rows the bursts created."""
    async with committed_probe_row(live_sql) as committed:
        yield committed
    await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE 'burst-%'")


@pytest.fixture
def start_app_itself(settings: Settings) -> Callable[..., Any]:
    """Like `start_app`, but yields the app too, for a look at its engine and threads."""

    @asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
        app = record_responses(probe.with_probe(create_app(settings.model_copy(update=changes))))
        async with LifespanManager(app), app_client(app) as client:
            yield app, client

    return start


class PeakCheckouts:
    """The most connections the app's pool had checked out at once, and the most calls its worker
    threads were running as one was checked out (a call waiting on the pool would count there)."""

    def __init__(self, threads: threadpool.WorkerThreads) -> None:
        self.threads = threads
        self.now = self.peak = self.busiest = 0

    def checkout(self, *_: object) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)
        self.busiest = max(self.busiest, self.threads.busy)

    def checkin(self, *_: object) -> None:
        self.now -= 1


@contextmanager
def peak_checkouts(database: Database) -> Iterator[PeakCheckouts]:
    peak = PeakCheckouts(database.threads)
    pool = database.engine.pool
    event.listen(pool, "checkout", peak.checkout)
    event.listen(pool, "checkin", peak.checkin)
    try:
        yield peak
    finally:
        event.remove(pool, "checkout", peak.checkout)
        event.remove(pool, "checkin", peak.checkin)


async def update(client: AsyncClient, row_id: int, n: int = 1) -> Response:
    return await client.patch(f"{ROWS}/{row_id}", json={"n": n})


async def create(client: AsyncClient, key: str | None = None) -> Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await client.post(ROWS, json={"name": f"burst-{uuid.uuid4()}"}, headers=headers)


async def created(live_sql: Sql) -> int:
    [(count,)] = await live_sql(f"SELECT count(*) FROM {probe.TABLE} WHERE name LIKE 'burst-%'")
    return int(count)


async def test_live_answers_while_a_request_waits_on_the_database(
    live_client: AsyncClient, live_sql: Sql, row_id: int
) -> None:
    async with row_locked(live_sql, probe.TABLE, row_id):
        waiting = asyncio.create_task(update(live_client, row_id))
        assert await eventually(lambda: has_active_session(live_sql))

        live = await asyncio.wait_for(live_client.get("/health/live"), LIVE_BOUND_SECONDS)
        still_waiting = not waiting.done()
    updated = await waiting  # before any assertion: a failure must not leave it running

    assert live.status_code == 200
    assert still_waiting
    assert updated.status_code == 200


async def test_a_burst_beyond_the_pool_queues_and_all_succeed(
    start_app_itself: Callable[..., Any], live_sql: Sql, row_id: int
) -> None:
    capacity, burst = 3, 30  # ten requests per connection, all at once
    async with start_app_itself(db_pool_size=2, db_max_overflow=1, db_pool_timeout=5) as (app, client):
        with peak_checkouts(app.state.database) as peak:
            responses = await asyncio.gather(*(create(client) for _ in range(burst)))
            reads = await asyncio.gather(*(client.get(f"{ROWS}/{row_id}") for _ in range(burst)))

    assert [response.status_code for response in responses] == [201] * burst
    assert [read.status_code for read in reads] == [200] * burst
    assert peak.peak == capacity  # the burst filled the pool, and never went past it
    assert peak.busiest == capacity  # nor had a call at work beyond the connections
    assert await created(live_sql) == burst


async def test_a_burst_of_keyed_writes_beyond_the_pool_queues_and_all_succeed(
    start_app_itself: Callable[..., Any], live_sql: Sql, row_id: int
) -> None:
    """A keyed write holds its connection between its calls (the key's row stays locked until its
    answer is kept): a burst of them must still leave the threads a connection to run on, or every
    thread waits on the pool for a connection only a queued call would give back."""
    capacity, burst = 3, 30
    keys = [f"burst-{uuid.uuid4()}" for _ in range(burst)]
    try:
        async with start_app_itself(db_pool_size=2, db_max_overflow=1, db_pool_timeout=5) as (app, client):
            with peak_checkouts(app.state.database) as peak:
                responses = await asyncio.gather(*(create(client, key) for key in keys))
    finally:
        listed = ", ".join(f"'{key}'" for key in keys)
        await live_sql(f"DELETE FROM idempotency_keys WHERE key IN ({listed})")

    assert [response.status_code for response in responses] == [201] * burst
    assert peak.peak == capacity - 1  # one connection left for calls that hold none between calls
    assert await created(live_sql) == burst


async def test_a_cancelled_request_keeps_its_thread_until_its_query_ends(
    start_app_itself: Callable[..., Any], live_sql: Sql, row_id: int
) -> None:
    small = start_app_itself(db_pool_size=1, db_max_overflow=0, db_pool_timeout=FAULT_TIMEOUT)
    async with small as (app, client):
        database: Database = app.state.database
        async with row_locked(live_sql, probe.TABLE, row_id):
            waiting = asyncio.create_task(update(client, row_id, 5))
            assert await eventually(lambda: has_active_session(live_sql))
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            # The thread still waits on the lock, on the only connection: no second thread starts
            # to wait on the pool behind it, and the next request is told so in time.
            assert database.threads.busy == 1
            started = time.monotonic()
            busy = await client.get(f"{ROWS}/{row_id}")
            waited = time.monotonic() - started
            assert busy.status_code == 503
            assert busy.json()["code"] == "database_busy"
            assert waited < FAULT_TIMEOUT + 0.5

        # The lock gone, the abandoned update commits and its session is closed after it.
        assert await eventually(lambda: asyncio.sleep(0, result=database.threads.busy == 0))
        assert database.pool_status()["checked_out"] == 0
        assert set(await app_sessions(live_sql)) <= {"idle"}
        assert (await client.get(f"{ROWS}/{row_id}")).json()["n"] == 5
        assert (await update(client, row_id, 6)).status_code == 200


async def test_apps_on_one_loop_do_not_share_their_threads(
    start_app: StartApp, live_sql: Sql, row_id: int
) -> None:
    small = start_app(db_pool_size=1, db_max_overflow=0, db_pool_timeout=FAULT_TIMEOUT)
    roomy = start_app(db_pool_size=3, db_max_overflow=0, db_pool_timeout=5)
    async with roomy as other, small as stuck:
        async with row_locked(live_sql, probe.TABLE, row_id):
            holder = asyncio.create_task(update(stuck, row_id))
            assert await eventually(lambda: has_active_session(live_sql))

            # The small app's only thread is taken until the lock goes; the other app's threads
            # are its own, so its requests do not wait for that.
            reads = asyncio.gather(*(other.get(f"{ROWS}/{row_id}") for _ in range(9)))
            statuses = [read.status_code for read in await asyncio.wait_for(reads, timeout=5)]
            assert statuses == [200] * 9
            assert not holder.done()
            assert (await stuck.get(f"{ROWS}/{row_id}")).status_code == 503

        assert (await holder).status_code == 200


async def test_waiting_calls_get_a_thread_first_come_first_served() -> None:
    go_on = threading.Event()
    order: list[int] = []
    async with threadpool.WorkerThreads(1, timeout=5) as threads:
        holder = threads.submit(go_on.wait, 10)
        waiting = [threads.submit(order.append, n) for n in range(1, 6)]
        go_on.set()  # the thread comes free just as a newcomer arrives: it does not go first
        newcomer = threads.submit(order.append, 6)
        await threads.result(holder)
        for call in [*waiting, newcomer]:
            await threads.result(call)

    assert order == [1, 2, 3, 4, 5, 6]


async def test_stopping_waits_for_a_cancelled_call_and_its_close_then_refuses_new_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    go_on = threading.Event()
    events: list[str] = []

    def database_call(session: Session) -> None:
        session.begin()  # and left open: closing the session is then a rollback, on a thread
        go_on.wait(10)
        events.append("call ended")

    def close() -> None:
        time.sleep(0.1)  # the rollback's round trip
        events.append("session closed")

    running = contextlib.AsyncExitStack()
    threads = await running.enter_async_context(threadpool.WorkerThreads(1, timeout=5))
    session = Session(info={threadpool.THREADS: threads})
    monkeypatch.setattr(session, "close", close)
    request = asyncio.ensure_future(threadpool.in_threadpool(database_call)(session))
    assert await eventually(lambda: asyncio.sleep(0, result=threads.busy == 1))
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await threadpool.close_session(session)  # as get_db does for a cancelled request
    stopping = asyncio.create_task(running.aclose())
    stopping.add_done_callback(lambda _: events.append("stopped"))
    await asyncio.sleep(0.2)  # time enough for a stop that does not wait to be over
    go_on.set()
    await stopping

    assert events == ["call ended", "session closed", "stopped"]
    with pytest.raises(PoolBusy):
        await threads.run(events.append, "too late")
