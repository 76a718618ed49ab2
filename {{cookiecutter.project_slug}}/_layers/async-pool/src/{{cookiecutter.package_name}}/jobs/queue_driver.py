"""The worker's own connection to the queue: asyncpg, outside the app's pool, kept for LISTEN."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg  # type: ignore[import-untyped]  # no stubs
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver

from ..core.settings import Settings

# What a lost or refused connection raises: the worker connects again.
LOST: tuple[type[Exception], ...] = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


@asynccontextmanager
async def open_queue_driver(settings: Settings) -> AsyncIterator[AsyncpgDriver]:
    connection = await asyncpg.connect(
        settings.postgres_url(),
        timeout=settings.db_connect_timeout,
        # Behind PgBouncer no prepared statement may outlive its transaction.
        statement_cache_size=0 if settings.db_pgbouncer else 100,
        server_settings={"application_name": "{{ cookiecutter.project_slug }}-worker"},
    )
    try:
        yield AsyncpgDriver(connection)
    finally:
        connection.terminate()
