"""What the thread pool buys: a stuck database call leaves the loop free; a burst queues, not fails.

Both tests run on committed data, with requests stuck behind a row lock a second connection holds.
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient, Response

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .protocols import Sql

POOL_SIZE, MAX_OVERFLOW, POOL_TIMEOUT = 2, 1, 0.5
CAPACITY = POOL_SIZE + MAX_OVERFLOW
PROMPT_SECONDS = 0.5


@pytest.fixture
async def accounts(live_sql: Sql) -> AsyncIterator[tuple[int, int]]:
    """A source with money and an empty target, committed; deleted with their transfers after."""
    rows = await live_sql(
        "INSERT INTO accounts (owner, balance_cents) VALUES ('source', 1000), ('target', 0) RETURNING id"
    )
    source, target = (int(id_) for (id_,) in rows)
    yield source, target
    theirs = f"from_account_id IN ({source}, {target}) OR to_account_id IN ({source}, {target})"
    await live_sql(f"DELETE FROM audit_events WHERE subject_id IN (SELECT id FROM transfers WHERE {theirs})")
    await live_sql(f"DELETE FROM transfers WHERE {theirs}")
    await live_sql(f"DELETE FROM accounts WHERE id IN ({source}, {target})")


@pytest.fixture
async def small_pool_client(settings: Settings) -> AsyncIterator[AsyncClient]:
    """A client for an app with three connections and a short pool timeout, so a request that waits
    for a connection instead of a thread fails fast with 503."""
    small = {"db_pool_size": POOL_SIZE, "db_max_overflow": MAX_OVERFLOW, "db_pool_timeout": POOL_TIMEOUT}
    application = create_app(settings.model_copy(update=small))
    async with (
        LifespanManager(application),
        AsyncClient(transport=ASGITransport(app=application), base_url="http://test") as http,
    ):
        yield http


@asynccontextmanager
async def row_locked(settings: Settings, account_id: int) -> AsyncIterator[None]:
    """Another client's open transaction holding the account's row lock until the block ends.

    Enter it after the task group running the requests it blocks: if the test fails, the lock goes
    first, so those requests finish and nothing outlives the test.
    """
    async with await psycopg.AsyncConnection.connect(settings.postgres_url()) as other:
        await other.execute("SELECT 1 FROM accounts WHERE id = %s FOR UPDATE", [account_id])
        yield
        await other.rollback()


async def until_waiting_on_locks(live_sql: Sql, backends: int) -> None:
    """Return once that many server backends of this database are blocked on a lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    async with asyncio.timeout(5):
        while True:
            [(waiting,)] = await live_sql(query)
            if waiting >= backends:
                return
            await asyncio.sleep(0.02)


async def send(client: AsyncClient, source: int, target: int) -> Response:
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 1}
    return await client.post("/transfers", json=body)


async def test_live_answers_while_a_request_waits_on_the_database(
    live_client: AsyncClient, live_sql: Sql, settings: Settings, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    async with asyncio.TaskGroup() as tasks, row_locked(settings, source):
        transfer = tasks.create_task(send(live_client, source, target))
        await until_waiting_on_locks(live_sql, 1)

        started = time.perf_counter()
        live = await live_client.get("/health/live")
        elapsed = time.perf_counter() - started
        still_waiting = not transfer.done()

    assert live.status_code == 200
    assert elapsed < PROMPT_SECONDS
    assert still_waiting
    assert transfer.result().status_code == 201


async def test_a_burst_beyond_the_pool_queues_for_threads_and_all_succeed(
    small_pool_client: AsyncClient, live_sql: Sql, settings: Settings, accounts: tuple[int, int]
) -> None:
    source, target = accounts
    burst = 4 * CAPACITY
    async with asyncio.TaskGroup() as tasks, row_locked(settings, source):
        transfers = [tasks.create_task(send(small_pool_client, source, target)) for _ in range(burst)]
        await until_waiting_on_locks(live_sql, CAPACITY)
        # Longer than pool_timeout: a request waiting for a connection, not a thread, would 503.
        await asyncio.sleep(2 * POOL_TIMEOUT)
        settled_early = sum(transfer.done() for transfer in transfers)

    assert settled_early == 0
    assert [transfer.result().status_code for transfer in transfers] == [201] * burst
    assert await live_sql(f"SELECT balance_cents FROM accounts WHERE id = {target}") == [(burst,)]
