"""One connection of psycopg, this layer's driver, for a command's one statement."""

import math
from typing import Any

import psycopg

from .refused import Refused, StatementFailed


def fetch(url: str, timeout: float, statement: str) -> list[tuple[Any, ...]]:
    """The rows of `statement`, on a connection opened for it and closed after."""
    try:
        # libpq counts whole seconds and treats anything under 2 as 2.
        connection = psycopg.connect(url, connect_timeout=max(2, math.ceil(timeout)))
    except psycopg.Error as error:
        # libpq's message names the host and port before the server's own words: keep those.
        raise Refused(str(error).rpartition("FATAL:")[2].strip()) from None
    with connection:
        try:
            return list(connection.execute(statement).fetchall())
        except psycopg.Error as error:
            raise StatementFailed(str(error).splitlines()[0], error.sqlstate) from None
