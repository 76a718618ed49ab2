"""Tortoise's asyncpg client, made to fail fast and recover: bounded waits for the pool and for
opening it, safe transactions, and reads retried on a new connection when the server dropped theirs.

Named as the engine in tortoise_config.py: Tortoise imports this module and builds `client_class`
from the connection's credentials.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import PoolConnectionWrapper, TransactionContext
from tortoise.exceptions import DBConnectionError

from ..core.errors import PoolBusy
from . import tortoise_internals as internals
from .lost_connections import LOST, ConnectionLost, is_read
from .transaction import PooledTransaction
from .turns import take_turn

logger = logging.getLogger(__name__)


class DatabaseUnreachable(DBConnectionError):
    """No connection could be opened within DB_POOL_TIMEOUT: the database does not answer."""


async def keep_session(connection: Any) -> None:
    """asyncpg's pool resets each connection it takes back: a transaction left open is rolled back
    (asyncpg does that before calling this), then a reset query (RESET ALL, UNLISTEN *, CLOSE ALL,
    release advisory locks) costs a round trip on every release, that is every request. This app leaves
    none of that behind: statement_timeout is a startup parameter and nothing else is SET, listened to
    or locked outside a transaction. Code that changes session state must use SET LOCAL inside a
    transaction, or undo it itself."""


class BoundedPool:
    """asyncpg's pool, except that acquire() gives up after `timeout` seconds, and hands out
    connections in the order they were asked for.

    asyncpg's pool gives a returned connection to whoever asks next: a request that arrives just then
    takes it from one that has waited, and the one that lost it queues again at the back. Under load
    that starves some requests into timeouts while the median stays low. A semaphore of the pool's
    capacity hands out turns first come, first served; with a turn, a connection is free. Tortoise
    only ever awaits `acquire()` (never `async with`) and pairs it with `release()`, so the turns
    balance.
    """

    def __init__(self, pool: Any, timeout: float, capacity: int) -> None:
        self._asyncpg_pool = pool
        self._timeout = timeout
        self._turns = asyncio.Semaphore(capacity)

    async def acquire(self) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        try:
            await take_turn(self._turns, deadline)
        except TimeoutError:
            raise self._gave_up() from None
        try:
            # What is left of the wait: opening a connection, if the pool holds fewer than its size.
            return await self._asyncpg_pool.acquire(timeout=max(deadline - loop.time(), 0))
        except BaseException as error:
            self._turns.release()
            if isinstance(error, TimeoutError):
                raise self._gave_up() from None
            raise

    async def release(self, connection: Any) -> None:
        try:
            await self._asyncpg_pool.release(connection)
        finally:
            self._turns.release()

    def _gave_up(self) -> Exception:
        # The wait also covers opening a connection; with none open at all, the time went on
        # connecting, so the database is the problem, not busy connections.
        if self._asyncpg_pool.get_size() == 0:
            return DatabaseUnreachable(f"no connection opened within {self._timeout}s")
        return PoolBusy(f"no free connection within {self._timeout}s")

    def __getattr__(self, name: str) -> Any:  # close, terminate, expire_connections, get_size, ...
        return getattr(self._asyncpg_pool, name)


class BoundedClient(AsyncpgDBClient):
    def __init__(self, *, acquire_timeout: float, **credentials: Any) -> None:
        # Taken out before the rest reaches asyncpg.connect, which would reject it.
        self.acquire_timeout = acquire_timeout
        super().__init__(**credentials)

    async def create_pool(self, **kwargs: Any) -> Any:
        pool = await super().create_pool(reset=keep_session, **kwargs)
        return BoundedPool(pool, self.acquire_timeout, capacity=kwargs["max_size"])

    async def open_pool(self) -> None:
        """Open the pool on first use, or give up within the pool timeout.

        Tortoise opens it under one lock with no time limit: while the database does not answer,
        every request queues behind the one trying, and the Nth waits N connect timeouts."""
        if internals.pool(self):
            return
        try:
            async with asyncio.timeout(self.acquire_timeout), internals.pool_init_lock(self):
                if not internals.pool(self):
                    await self.create_connection(with_db=True)
        except TimeoutError:
            raise DatabaseUnreachable(f"no connection opened within {self.acquire_timeout}s") from None

    def acquire_connection(self) -> PoolConnectionWrapper[Any]:
        return PoolConnection(self, internals.pool_init_lock(self))

    # Tortoise's private methods, overridden: tortoise_internals.CLIENT_OVERRIDES says why.
    def _in_transaction(self) -> TransactionContext:
        return PooledTransaction(TransactionWrapper(self), self.open_pool)

    async def _translate_exceptions(
        self, func: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        """Every statement outside a transaction passes here (Tortoise's translate_exceptions).

        A read whose connection was dropped under it runs once more, on a new connection; a write
        does not, since it may have been applied before the connection went."""
        try:
            return await super()._translate_exceptions(func, *args, **kwargs)
        except LOST as error:
            if not (args and isinstance(args[0], str) and is_read(args[0])):
                raise ConnectionLost("the connection broke under a write") from error
            logger.warning("connection lost under a read (%s); retrying on a new one", type(error).__name__)
            pool = internals.pool(self)
            if pool is not None:
                # The server rarely drops just one: a restart or pg_terminate_backend takes the idle
                # ones too, and asyncpg cannot know until it reads from them.
                await pool.expire_connections()
        return await super()._translate_exceptions(func, *args, **kwargs)


class PoolConnection(PoolConnectionWrapper[Any]):
    """Tortoise's connection for one statement outside a transaction, opening the pool as above."""

    client: BoundedClient

    async def ensure_connection(self) -> None:
        await self.client.open_pool()


client_class = BoundedClient
