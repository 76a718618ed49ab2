"""One connection of asyncpg, the driver under both async layers, for a command's one statement."""

import asyncio
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs

from .refused import Refused, StatementFailed


def fetch(url: str, timeout: float, statement: str) -> list[tuple[Any, ...]]:
    """The rows of `statement`, on a connection opened for it and closed after."""
    return asyncio.run(_fetch(url, statement, connect_timeout=timeout))


async def _fetch(url: str, statement: str, *, connect_timeout: float) -> list[tuple[Any, ...]]:
    try:
        connection = await asyncpg.connect(url, timeout=connect_timeout)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:  # TimeoutError too
        raise Refused(str(error) or type(error).__name__) from None
    try:
        return [tuple(row) for row in await connection.fetch(statement)]
    except asyncpg.PostgresError as error:
        raise StatementFailed(str(error), error.sqlstate) from None
    finally:
        await connection.close()
