"""The pool under load: a connection it opened stays open while it is used, so steady load neither
opens nor closes a server session whatever its concurrency; one beyond DB_POOL_SIZE closes once it
has been left unused for DB_POOL_IDLE_TIMEOUT."""

import asyncio
from datetime import datetime

import pytest
from httpx import AsyncClient

from .support import probe
from .support.committed_rows import committed_probe_row, row_locked
from .support.live import PathTo, StartApp
from .support.polling import eventually
from .support.protocols import Sql
from .support.server_sessions import app_session_ids, app_sessions

RESTING = 2  # DB_POOL_SIZE
OVERFLOW = 4  # DB_MAX_OVERFLOW
WARM_UP = 0.5  # seconds of load before watching: the pool opens what the load needs
WARM_UPS = 10  # rounds at most
MEASURED = 1.5  # seconds of load watched
LOOK_EVERY = 0.02  # seconds between looks at the app's sessions while it is watched

Sessions = set[tuple[int, datetime]]


async def read_steadily(client: AsyncClient, path: str, readers: int, seconds: float) -> int:
    """`readers` clients each reading `path` back to back for `seconds`; the reads answered."""
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds

    async def reader() -> int:
        answered = 0
        while loop.time() < until:
            response = await client.get(path, params={"limit": 1})
            assert response.status_code == 200, response.text
            answered += 1
        return answered

    return sum(await asyncio.gather(*(reader() for _ in range(readers))))


async def sessions_seen(live_sql: Sql, stop: asyncio.Event) -> Sessions:
    """Every session of the app open at some look until `stop` is set."""
    seen: Sessions = set()
    while not stop.is_set():
        seen |= await app_session_ids(live_sql)
        await asyncio.sleep(LOOK_EVERY)
    return seen


# Clients reading back to back, more than the resting size: the connections in use rise and fall
# across it (where a pool that closes its overflow on return reconnects all the time), or, beyond
# the pool's capacity, requests also queue for a turn. The sessions are watched in pg_stat_activity:
# the server's count of sessions begun reaches pg_stat_database a second or more late under load.
@pytest.mark.parametrize("readers", [RESTING + 2, (RESTING + OVERFLOW) * 2])
async def test_steady_load_opens_no_new_sessions(
    start_app: StartApp, live_sql: Sql, path_to: PathTo, readers: int
) -> None:
    rows = path_to("list_probe_rows")
    async with start_app(db_pool_size=RESTING, db_max_overflow=OVERFLOW) as client:
        # Warm until a whole round changes no session: the pool then holds what the load needs at
        # its busiest (which a busy machine may take more than one round to reach).
        for _ in range(WARM_UPS):
            warming = await app_session_ids(live_sql)
            await read_steadily(client, rows, readers, WARM_UP)
            if await app_session_ids(live_sql) == warming:
                break
        before = await app_session_ids(live_sql)
        stop = asyncio.Event()
        watching = asyncio.create_task(sessions_seen(live_sql, stop))
        answered = await read_steadily(client, rows, readers, MEASURED)
        stop.set()
        seen = await watching
        after = await app_session_ids(live_sql)

    opened, closed = (seen | after) - before, before - after
    assert answered > readers  # the load ran
    changed = f"{len(opened)} sessions opened, {len(closed)} closed"
    assert not (opened | closed), f"{changed} in {MEASURED} s of steady load ({answered} reads)"


IDLE_TIMEOUT = 1.0  # DB_POOL_IDLE_TIMEOUT: long enough to look at the pool before it runs out
BURST = 3  # requests holding a connection at once, more than the resting size of 1


async def open_sessions(live_sql: Sql, since: datetime) -> int:
    return sum((await app_sessions(live_sql, since)).values())


async def test_a_connection_beyond_the_pool_size_closes_once_idle(
    start_app: StartApp, live_sql: Sql, path_to: PathTo
) -> None:
    clock = asyncio.get_running_loop().time
    [(since,)] = await live_sql("SELECT clock_timestamp()")  # the sessions of this test's app only
    async with (
        committed_probe_row(live_sql) as row_id,
        start_app(db_pool_size=1, db_max_overflow=BURST, db_pool_idle_timeout=IDLE_TIMEOUT) as client,
    ):
        row = path_to("update_probe_row", row_id=row_id)
        async with row_locked(live_sql, probe.TABLE, row_id):
            # Each update waits on the lock, holding a connection of its own.
            updates = [client.patch(row, json={"n": n}) for n in range(BURST)]
            waiting = asyncio.gather(*updates)
            assert await eventually(lambda: waits_on_the_lock(live_sql, since, BURST))
        assert {response.status_code for response in await waiting} == {200}
        returned = clock()

        kept = await open_sessions(live_sql, since)  # all back in the pool, none closed on return
        assert await eventually(lambda: ends_at(live_sql, since, 1), within=IDLE_TIMEOUT * 2 + 3)
        idle_for = clock() - returned
        resting = await open_sessions(live_sql, since)

    assert kept == BURST
    assert idle_for >= IDLE_TIMEOUT * 0.9  # closed for being idle, not on return
    assert resting == 1  # DB_POOL_SIZE stays open


async def waits_on_the_lock(live_sql: Sql, since: datetime, requests: int) -> bool:
    return (await app_sessions(live_sql, since)).get("active", 0) >= requests


async def ends_at(live_sql: Sql, since: datetime, sessions: int) -> bool:
    return await open_sessions(live_sql, since) == sessions
