"""The worker's own connection to the queue: psycopg's async connection, in autocommit as pgqueuer
needs it, outside the app's pool, kept for LISTEN."""

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from pgqueuer.adapters.drivers.psycopg import PsycopgDriver

from ..core.settings import Settings

# What a lost or refused connection raises: the worker connects again.
LOST: tuple[type[Exception], ...] = (OSError, psycopg.OperationalError, psycopg.InterfaceError)


@asynccontextmanager
async def open_queue_driver(settings: Settings) -> AsyncIterator[PsycopgDriver]:
    connection = await psycopg.AsyncConnection.connect(
        settings.postgres_url(),
        autocommit=True,
        connect_timeout=max(2, math.ceil(settings.db_connect_timeout)),
        application_name="{{ cookiecutter.project_slug }}-worker",
        # Behind PgBouncer no prepared statement may outlive its transaction.
        prepare_threshold=None if settings.db_pgbouncer else 5,
    )
    try:
        yield PsycopgDriver(connection)
    finally:
        await connection.close()
