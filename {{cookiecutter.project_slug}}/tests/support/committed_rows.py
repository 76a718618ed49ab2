"""Committed rows, for the tests whose app has a pool of its own and commits for real: a probe row
made for a block, and another session's lock on a row (to keep a request waiting)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from . import probe
from .polling import eventually
from .protocols import Sql
from .server_sessions import THIS_DATABASE


@contextlib.asynccontextmanager
async def committed_probe_row(live_sql: Sql) -> AsyncIterator[int]:
    """A probe row committed for the block (so another session can lock it), deleted after."""
    [(new_id,)] = await live_sql(f"INSERT INTO {probe.TABLE} (name) VALUES ('waits') RETURNING id")
    try:
        yield int(new_id)
    finally:
        await live_sql(f"DELETE FROM {probe.TABLE} WHERE id = {int(new_id)}")


@contextlib.asynccontextmanager
async def row_locked(live_sql: Sql, table: str, row_id: int) -> AsyncIterator[None]:
    """Another session holds the row's lock until the block ends. One statement does it (lock,
    then sleep), so it needs nothing from the driver but plain SQL."""
    holder = asyncio.create_task(
        live_sql(f"SELECT pg_sleep(60) FROM (SELECT id FROM {table} WHERE id = {row_id} FOR UPDATE) AS held")
    )
    try:
        sleeping = f"SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND {THIS_DATABASE}"
        assert await eventually(lambda: live_sql(sleeping))
        yield
    finally:
        await live_sql(f"SELECT pg_cancel_backend(pid) FROM ({sleeping}) AS holders")
        with contextlib.suppress(Exception):  # the holder's statement ends "canceled", as intended
            await holder
