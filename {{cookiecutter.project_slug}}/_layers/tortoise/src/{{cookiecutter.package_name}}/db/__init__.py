"""The database for this driver: Tortoise ORM on asyncpg, registered in the lifespan."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception classes are used
from fastapi import Depends, Request
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.context import TortoiseContext
from tortoise.exceptions import BaseORMException, DBConnectionError

from ..core.errors import Diagnosis, Failure
from ..core.settings import Settings
from . import tortoise_internals as internals
from .tortoise_config import CONNECTION, tortoise_config

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


class Database:
    """The Tortoise context (models bound to this app's connection pool) the app and its tasks share."""

    def __init__(self, context: TortoiseContext, settings: Settings) -> None:
        self.context = context
        self.pool_size = settings.db_pool_size
        # The pooled client itself, never a transaction: readiness must not ride on a request's.
        self.client = context.connections.get(CONNECTION)

    @contextmanager
    def session(self) -> Iterator[BaseDBAsyncClient]:
        """This app's context for the block, and its current connection: the pool, or the
        transaction in progress in this task (in_transaction() inside it nests as a savepoint)."""
        with internals.current(self.context):
            yield self.context.connections.get(CONNECTION)

    def enter(self) -> BaseDBAsyncClient:
        """session() for the rest of the current task, with no block to end it: see get_db."""
        internals.make_current(self.context)
        return self.context.connections.get(CONNECTION)

    async def ping(self) -> None:
        await self.client.execute_query("SELECT 1")

    def pool_status(self) -> dict[str, int]:
        pool = internals.pool(self.client)  # None until the first query opens it
        if pool is None:
            return {"size": 0, "checked_out": 0, "overflow": 0}
        size: int = pool.get_size()
        return {
            "size": size,
            "checked_out": size - pool.get_idle_size(),
            "overflow": max(0, size - self.pool_size),
        }


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """Register Tortoise for the app's lifetime. Nothing connects here: the pool opens on the first
    query, so the app starts (and answers 503) while the database is down."""
    context = TortoiseContext()
    # A context of our own, current while RegisterTortoise initialises it, so a second app in the
    # process (tests) gets its own pool instead of re-initialising the first one's; requests
    # activate it themselves through get_db.
    with internals.current(context):
        async with internals.register(tortoise_config(settings)):
            yield Database(context, settings)


async def get_db(request: Request) -> BaseDBAsyncClient:
    """This app's context, current for the rest of the request, and its connection (the pool: each
    statement borrows a connection and returns it, so the request holds none between statements).

    Not a `yield` dependency: FastAPI runs one in a context manager of its own on an exit stack,
    which was a fifth of the one-row read's profile. Nothing needs undoing:
    the server runs each request in a task of its own, and the setting ends with the task. A test
    client that runs the app in the test's own task leaves it set to the app it called last, which
    is the one every request sets again."""
    database: Database = request.app.state.database
    return database.enter()


SessionDep = Annotated[BaseDBAsyncClient, Depends(get_db)]

# OSError covers refused connections and connect timeouts; asyncpg's own errors pass through
# Tortoise untranslated except integrity, syntax and data errors.
DRIVER_ERRORS: tuple[type[Exception], ...] = (
    BaseORMException,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
)


def server_error(error: BaseException) -> asyncpg.PostgresError | None:
    """asyncpg's exception behind `error`: the error itself, or the one Tortoise wraps, as its first
    argument (a repository's `raise ... from None` clears the cause Tortoise also sets)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, asyncpg.PostgresError):
            return seen
        wrapped = seen.args[0] if isinstance(seen, BaseORMException) and seen.args else None
        seen = wrapped if isinstance(wrapped, BaseException) else seen.__cause__
    return None


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of the asyncpg error behind `error`."""
    reported = server_error(error)
    return None if reported is None else str(reported.sqlstate)


def classify(error: Exception) -> Diagnosis:
    if isinstance(error, OSError | DBConnectionError):  # refused, unreachable, connect timeout
        return Diagnosis(Failure.UNAVAILABLE)
    return Diagnosis.of(sqlstate(error), server_error(error))


def trace_statements(database: Database, tracer_provider: "TracerProvider") -> Callable[[], None]:
    """A span per statement asyncpg runs, with the SQL and its placeholders, never the values.
    asyncpg is instrumented process-wide (Tortoise gives no per-pool hook); returns the undo, which
    the lifespan calls at shutdown."""
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]
    # No skip_dep_check: the asyncpg versions it declares include ours (the template's suite checks it).
    instrumentor.instrument(tracer_provider=tracer_provider)
    return lambda: instrumentor.uninstrument()
