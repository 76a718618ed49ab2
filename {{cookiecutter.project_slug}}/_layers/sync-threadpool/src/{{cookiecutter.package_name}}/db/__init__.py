"""The database for this driver: SQLAlchemy's sync engine on psycopg 3, one session per request."""

import math
import select
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import anyio.to_thread
import psycopg
from fastapi import Depends, Request
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ..core.errors import Diagnosis, Failure, ServerReport
from ..core.settings import Settings
from .sqlalchemy_engine import (
    RESTING_ISOLATION,
    SteadyPool,
    WritesInTransactions,
    closing_spare_connections,
    pool_arguments,
    pool_figures,
    rest_between_uses,
    sqlstate,
)
from .sqlalchemy_engine import trace_statements as trace_engine_statements
from .threadpool import THREADS, WorkerThreads, close_session

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def engine_url(settings: Settings) -> URL:
    return make_url(settings.postgres_url()).set(drivername="postgresql+psycopg")


def connect_args(settings: Settings) -> dict[str, Any]:
    args: dict[str, Any] = {
        # libpq counts whole seconds and treats anything under 2 as 2.
        "connect_timeout": max(2, math.ceil(settings.db_connect_timeout)),
        "application_name": "{{ cookiecutter.project_slug }}",
    }
    if not settings.db_pgbouncer:
        # Enforced by the server, so a runaway query is cancelled there, not only abandoned here.
        args["options"] = f"-c statement_timeout={round(settings.db_statement_timeout * 1000)}"
    else:
        # PgBouncer refuses the `options` startup parameter: set statement_timeout on the database
        # role (ALTER ROLE ... SET statement_timeout) instead. Transaction pooling hands each
        # transaction a different server connection, where a statement psycopg prepared on
        # another one does not exist.
        args["prepare_threshold"] = None
    return args


def make_engine(settings: Settings) -> Engine:
    engine = create_engine(
        engine_url(settings),
        connect_args=connect_args(settings),
        isolation_level=RESTING_ISOLATION,  # reads without BEGIN/ROLLBACK: WritesInTransactions
        **pool_arguments(settings, SteadyPool),
    )
    event.listen(engine, "checkout", _replace_if_closed)
    rest_between_uses(engine)
    return engine


def _replace_if_closed(dbapi_connection: Any, *_: object) -> None:
    """psycopg reads a connection's socket only while it runs a statement, so the server's goodbye
    to an idle one (a FATAL message, then the close) waits there unread: anything to read on a
    connection at rest, seen without waiting, means it is gone. The pool then connects anew in its
    place, without the round trip a pre-ping would cost every request."""
    if dbapi_connection.closed or select.select([dbapi_connection.fileno()], [], [], 0)[0]:
        raise sa_exc.DisconnectionError("the server closed this connection while it was idle")


class Database:
    """The engine, the session factory and the worker threads the app and its background tasks share."""

    def __init__(self, engine: Engine, threads: WorkerThreads, resting: int) -> None:
        self.engine = engine
        self.threads = threads
        self._resting = resting  # DB_POOL_SIZE
        # expire_on_commit=False: objects stay readable after commit, on the loop, with no I/O.
        self.sessionmaker = sessionmaker(engine, class_=WritesInTransactions, expire_on_commit=False)

    def session(self) -> Session:
        """A new session that knows which worker threads its calls run on. No I/O: a connection is
        taken only when a call on a worker thread first needs one."""
        session = self.sessionmaker()
        session.info[THREADS] = self.threads
        return session

    async def ping(self) -> None:
        # Admitted like any call, so a full pool reads as not ready. The probe's own timeout may stop
        # waiting; the thread keeps its slot until the connect or statement timeout ends the call.
        await self.threads.run(self._ping)

    def _ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def pool_status(self) -> dict[str, int]:
        return {**pool_figures(self.engine, self._resting), "threads_busy": self.threads.busy}


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    engine = make_engine(settings)
    try:
        # One worker thread per connection, taken within DB_POOL_TIMEOUT or not at all (503): a
        # thread never waits for a connection and a queued request holds neither. On the way out,
        # calls whose requests were cancelled still end their transactions before the engine goes.
        async with (
            WorkerThreads(settings.pool_capacity, settings.db_pool_timeout) as threads,
            closing_spare_connections(engine, settings, anyio.to_thread.run_sync),
        ):
            yield Database(engine, threads, settings.db_pool_size)
    finally:
        await anyio.to_thread.run_sync(engine.dispose)


async def get_db(request: Request) -> AsyncIterator[Session]:
    # async, not a sync generator: FastAPI would run a sync one's setup on AnyIO's default threads,
    # a wait no timeout bounds. Opening a session does no I/O, and closing one does none unless a
    # transaction was left open, which close_session then rolls back on a thread of its own.
    database: Database = request.app.state.database
    session = database.session()
    try:
        yield session
    finally:
        await close_session(session)


# scope="function": the session (and its connection) goes back to the pool before the response is
# sent, not after; at the default scope a slow client holds a connection for its whole download.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]

DRIVER_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, sa_exc.TimeoutError)


def server_report(error: Exception) -> ServerReport | None:
    """The fields the server sent with the error, as psycopg keeps them on the one SQLAlchemy wraps."""
    orig = getattr(error, "orig", None)
    return orig.diag if isinstance(orig, psycopg.Error) else None


def classify(error: Exception) -> Diagnosis:
    if isinstance(error, sa_exc.TimeoutError):  # SQLAlchemy's pool: no connection within pool_timeout
        return Diagnosis(Failure.BUSY)
    diagnosis = Diagnosis.of(sqlstate(error), server_report(error))
    if diagnosis.failure is None and isinstance(error, sa_exc.DBAPIError):
        # psycopg reports a refused, unreachable or lost server as OperationalError without a sqlstate.
        lost = diagnosis.sqlstate is None and isinstance(error.orig, psycopg.OperationalError)
        if lost or error.connection_invalidated:
            return replace(diagnosis, failure=Failure.UNAVAILABLE)
    return diagnosis


def trace_statements(database: Database, tracer_provider: "TracerProvider") -> Callable[[], None]:
    return trace_engine_statements(database.engine, tracer_provider)
