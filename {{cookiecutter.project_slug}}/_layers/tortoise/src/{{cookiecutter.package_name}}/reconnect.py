"""Connections the server or the network took away: how to tell, and when a retry is safe.

asyncpg notices a dropped connection only when it next reads from the socket. A connection the
server killed (pg_terminate_backend, a restart, a failover) between two requests is noticed when the
pool hands it out, and replaced then; one killed just before, or during, a query fails that query.
"""

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
from tortoise.exceptions import DBConnectionError

# What asyncpg raises when the connection went away under a statement: the socket closed mid-query
# (08003), or the server said it is terminating this session (57P01) or crashed (57P02).
LOST = (asyncpg.ConnectionDoesNotExistError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError)


class ConnectionLost(DBConnectionError):
    """The connection closed under a transaction; what it had done is rolled back with it."""


def is_closed(connection: Any) -> bool:
    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:  # a pool's proxy is detached once the connection behind it closed
        return True


def is_lost(error: BaseException, connection: Any) -> bool:
    return isinstance(error, LOST) or is_closed(connection)


def refused_as_closed(error: BaseException | None, connection: Any) -> bool:
    """A statement asyncpg would not send because the connection had closed: a bare InterfaceError,
    which the client should hear as "unavailable, retry", not as an internal error."""
    return isinstance(error, asyncpg.InterfaceError) and is_closed(connection)


def is_read(query: str) -> bool:
    """A statement that changes nothing, so running it a second time is harmless."""
    return query.lstrip()[:6].upper() == "SELECT"
