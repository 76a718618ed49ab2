"""The database for this driver: SQLAlchemy's sync engine on psycopg 3, one session per request."""

import math
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
import psycopg
from fastapi import Depends, Request
from sqlalchemy import URL, Engine, create_engine, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from .errors import Failure, failure_for_sqlstate
from .settings import Settings
from .threadpool import thread_limit

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

MIGRATE_COMMAND = ("alembic", "upgrade", "head")


def engine_url(settings: Settings) -> URL:
    return make_url(settings.postgres_url()).set(drivername="postgresql+psycopg")


def connect_args(settings: Settings) -> dict[str, Any]:
    statement_ms = round(settings.db_statement_timeout * 1000)
    args: dict[str, Any] = {
        # libpq counts whole seconds and treats anything under 2 as 2.
        "connect_timeout": max(2, math.ceil(settings.db_connect_timeout)),
        # Enforced by the server, so a runaway query is cancelled there, not only abandoned here.
        "options": f"-c statement_timeout={statement_ms}",
        "application_name": "{{ cookiecutter.project_slug }}",
    }
    if settings.db_pgbouncer:
        # Transaction pooling hands each transaction a different server connection, where a
        # statement psycopg prepared on another one does not exist.
        args["prepare_threshold"] = None
    return args


def make_engine(settings: Settings) -> Engine:
    return create_engine(
        engine_url(settings),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,  # a connection the server dropped is replaced, not handed to a request
        connect_args=connect_args(settings),
    )


class Database:
    """The engine and the session factory the app and its background tasks share."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # expire_on_commit=False: objects stay readable after commit, on the loop, with no I/O.
        self.sessionmaker = sessionmaker(engine, expire_on_commit=False)

    async def ping(self) -> None:
        # Abandoned on cancel, so the probe's own timeout holds even while the thread still waits
        # on a connect that will time out by itself.
        await anyio.to_thread.run_sync(self._ping, abandon_on_cancel=True)

    def _ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def pool_status(self) -> dict[str, int]:
        pool: Any = self.engine.pool
        return {"size": pool.size(), "checked_out": pool.checkedout(), "overflow": pool.overflow()}


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    engine = make_engine(settings)
    # One worker thread per connection: a thread never waits for a connection (pool_timeout
    # would turn that wait into 503s), and no connection sits idle while requests queue for a thread.
    with thread_limit(settings.pool_capacity):
        try:
            yield Database(engine)
        finally:
            await run_in_threadpool(engine.dispose)


async def get_database(request: Request) -> Database:
    # async only so FastAPI does not spend a worker thread on reading an attribute.
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]


def get_db(database: DatabaseDep) -> Iterator[Session]:
    # A sync generator: FastAPI runs its setup and teardown on worker threads.
    with database.sessionmaker() as session:
        yield session


# scope="function": the session (and its connection) goes back to the pool before the response is
# sent, not after; at the default scope a slow client holds a connection for its whole download.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]

DRIVER_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, sa_exc.TimeoutError)


def sqlstate(error: BaseException) -> str | None:
    return getattr(getattr(error, "orig", None), "sqlstate", None)


def classify(error: Exception) -> tuple[Failure | None, str | None]:
    if isinstance(error, sa_exc.TimeoutError):  # no free connection within pool_timeout
        return Failure.BUSY, None
    state = sqlstate(error)
    failure = failure_for_sqlstate(state)
    if failure is None and isinstance(error, sa_exc.DBAPIError):
        # psycopg reports a refused, unreachable or lost server as OperationalError without a sqlstate.
        lost = state is None and isinstance(error.orig, psycopg.OperationalError)
        if lost or error.connection_invalidated:
            failure = Failure.UNAVAILABLE
    return failure, state


def trace_statements(database: Database, tracer_provider: "TracerProvider") -> Callable[[], None]:
    """A span per statement on this engine, with the SQL and its placeholders, never the values.
    Returns the undo, which the lifespan calls at shutdown."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    # skip_dep_check: the package declares SQLAlchemy < 2.1, yet the engine events it listens to are
    # unchanged in 2.1 (the suite's tracing test proves the spans are there).
    instrumentor.instrument(engine=database.engine, tracer_provider=tracer_provider, skip_dep_check=True)
    return lambda: instrumentor.uninstrument()
