"""Tortoise's asyncpg client with a bounded wait for a free connection; Tortoise's own waits forever.

Named as the engine in orm.py: Tortoise imports this module and builds `client_class` from the
connection's credentials.
"""

from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient


class PoolExhausted(Exception):
    """No connection came free within DB_POOL_TIMEOUT."""


class BoundedPool:
    """asyncpg's pool, except that acquire() gives up after `timeout` seconds.

    Tortoise only ever awaits `_pool.acquire()` (never `async with`), so a coroutine is enough.
    """

    def __init__(self, pool: Any, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    async def acquire(self) -> Any:
        try:
            return await self._pool.acquire(timeout=self._timeout)
        except TimeoutError:
            raise PoolExhausted(f"no free connection within {self._timeout}s") from None

    def __getattr__(self, name: str) -> Any:  # release, close, terminate, get_size, ...
        return getattr(self._pool, name)


class BoundedClient(AsyncpgDBClient):
    def __init__(self, *, acquire_timeout: float, **credentials: Any) -> None:
        # Taken out before the rest reaches asyncpg.connect, which would reject it.
        self.acquire_timeout = acquire_timeout
        super().__init__(**credentials)

    async def create_pool(self, **kwargs: Any) -> Any:
        return BoundedPool(await super().create_pool(**kwargs), self.acquire_timeout)


client_class = BoundedClient
