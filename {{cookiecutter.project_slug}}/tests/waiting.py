"""What the tests of operations need to keep a request waiting: a committed row to lock, and a way to
see that the app's query is running (waiting on that lock)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .live import app_sessions
from .protocols import Sql


@asynccontextmanager
async def committed_item(live_sql: Sql) -> AsyncIterator[int]:
    """An item committed for the block (so another session can lock it), deleted after."""
    [(new_id,)] = await live_sql("INSERT INTO items (name, price_cents) VALUES ('waits', 1) RETURNING id")
    try:
        yield int(new_id)
    finally:
        await live_sql(f"DELETE FROM items WHERE id = {int(new_id)}")


async def has_active_session(live_sql: Sql) -> bool:
    """Some session of the app is running a query (a request waiting on a lock, say)."""
    return bool((await app_sessions(live_sql)).get("active"))
