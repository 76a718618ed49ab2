"""The worker's own connection to the queue, outside the app's pool, kept for LISTEN: asyncpg's on
every layer, as it hears a notification without holding up the queries sent meanwhile on the same
connection (the template's README says which driver could not)."""

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
