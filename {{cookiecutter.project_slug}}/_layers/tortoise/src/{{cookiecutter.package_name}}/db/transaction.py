"""in_transaction() on the pool, safe when a connection dies or a request is cancelled.

Tortoise's own pooled transaction (TransactionContextPooled) has three gaps this one closes:
- if BEGIN fails or the task is cancelled during it, __aexit__ never runs (__aenter__ raised), so
  the connection never returns to the pool and may sit "idle in transaction" on the server;
- a BEGIN on a connection the server has just dropped fails the request, though nothing has run yet;
- a ROLLBACK on a dead connection raises InterfaceError, which replaces the error that caused it (or
  the cancellation) and reaches the client as a 500; so does a statement on a connection asyncpg
  already knows is closed or broken (see lost_connections.py).
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.backends.base.client import TransactionContext
from tortoise.connection import ConnectionToken, get_connections
from tortoise.exceptions import TransactionManagementError

from . import tortoise_internals as internals
from .lost_connections import ConnectionLost, broke_connection, is_closed, is_lost

logger = logging.getLogger(__name__)


def discard(connection: Any) -> None:
    """Close a connection whose session state is unknown: the server rolls back whatever it held,
    and the pool opens a new one in its place."""
    if not is_closed(connection):
        connection.terminate()


class PooledTransaction(TransactionContext):
    client: TransactionWrapper

    def __init__(self, client: TransactionWrapper, open_pool: Callable[[], Awaitable[None]]) -> None:
        self.client = client
        self._open_pool = open_pool
        self._token: ConnectionToken | None = None

    @property
    def _parent_pool(self) -> Any:
        return internals.pool(internals.parent(self.client))

    async def __aenter__(self) -> TransactionWrapper:
        await self._open_pool()
        # One retry, on a fresh connection, when the first one turns out to be dead: safe, since
        # the transaction has not started.
        for retries_left in (1, 0):
            connection = await self._parent_pool.acquire()
            internals.set_connection(self.client, connection)
            try:
                await self.client.begin()
                break
            except BaseException as error:  # CancelledError too: the connection must go back
                lost = is_lost(error, connection)
                discard(connection)
                await self._parent_pool.release(connection)
                if not lost or not isinstance(error, Exception):
                    raise
                if not retries_left:
                    raise ConnectionLost("the connection closed before the transaction began") from error
                logger.warning("connection lost at BEGIN (%s); retrying on a new one", type(error).__name__)
                await self._parent_pool.expire_connections()  # the others were likely dropped with it
        # Only now does this task see the transaction as its connection: it has one and it began.
        self._token = get_connections().set(self.client.connection_name, self.client)
        return self.client

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        connection = internals.connection(self.client)
        broken = broke_connection(exc_val, connection)
        if broken:
            discard(connection)  # no ROLLBACK on it below: closing is the rollback
        try:
            if not internals.finalized(self.client):
                if exc_type is None:
                    await self._commit(connection)
                elif exc_type is not TransactionManagementError:  # Tortoise's own: nothing to undo
                    await self._rollback(connection)
            if broken:
                raise ConnectionLost("the connection broke during the transaction") from exc_val
        finally:
            pool = self._parent_pool
            if pool:
                await pool.release(connection)  # shielded by asyncpg against cancellation
            get_connections().reset(self._token)

    async def _commit(self, connection: Any) -> None:
        try:
            await self.client.commit()
        except Exception as error:
            if is_lost(error, connection):
                discard(connection)
                raise ConnectionLost("the connection broke before COMMIT completed") from error
            raise

    async def _rollback(self, connection: Any) -> None:
        if is_closed(connection):
            return  # the server ended the session, and the transaction with it
        try:
            await self.client.rollback()
        except Exception as error:
            # Closing the session is the one sure rollback; the error that got us here (or the
            # cancellation) is what the caller must see, not this one.
            logger.warning("ROLLBACK failed (%s); closing the connection instead", type(error).__name__)
            discard(connection)
