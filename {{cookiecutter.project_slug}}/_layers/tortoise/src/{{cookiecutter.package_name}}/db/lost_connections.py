"""Connections the server or the network took away: how to tell, and when a retry is safe.

asyncpg notices a dropped connection only when it reads from the socket. A connection the server
killed (pg_terminate_backend, a restart, a failover, idle_session_timeout) between two requests is
noticed when the pool hands it out, and replaced then; one killed just before, or during, a query
fails that query. There is a narrower window too: the server's FATAL message has arrived but the
socket's close has not been read yet; asyncpg then rejects the next statement with an
InternalClientError ("another operation is in progress") on a connection that looks open.
"""

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
from tortoise.exceptions import DBConnectionError

# What asyncpg raises when the connection went away under a statement: the socket closed mid-query
# (08003), the server said it is terminating this session (57P01) or crashed (57P02), or the
# protocol is stuck after a FATAL message on an idle connection (InternalClientError).
LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.InternalClientError,
)


class ConnectionLost(DBConnectionError):
    """The connection went away under a statement; a transaction on it is rolled back with it."""


def is_closed(connection: Any) -> bool:
    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:  # a pool's proxy is detached once the connection behind it closed
        return True


def is_lost(error: BaseException, connection: Any) -> bool:
    return isinstance(error, LOST) or is_closed(connection)


def broke_connection(error: BaseException | None, connection: Any) -> bool:
    """A statement failed because its connection is unusable: asyncpg says InternalClientError, or
    a bare InterfaceError once the connection has closed. The client should hear "unavailable,
    retry", not "internal error"."""
    if isinstance(error, asyncpg.InternalClientError):
        return True
    return isinstance(error, asyncpg.InterfaceError) and is_closed(connection)


def is_read(query: str) -> bool:
    """A statement that changes nothing, so running it a second time is harmless."""
    return query.lstrip()[:6].upper() == "SELECT"
