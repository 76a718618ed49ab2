"""The database for this driver: SQLAlchemy's async engine on asyncpg, and one session per request."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; only its exception class is used
from fastapi import Depends, Request
from sqlalchemy import URL, event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import greenlet_spawn

from ..core.errors import Diagnosis, Failure, PoolBusy
from ..core.settings import Settings
from .sqlalchemy_engine import (
    RESTING_ISOLATION,
    WRITE_ISOLATION,
    AsyncSteadyPool,
    WritesInTransactions,
    closing_spare_connections,
    pool_arguments,
    pool_figures,
    rest_between_uses,
    sqlstate,
)
from .sqlalchemy_engine import trace_statements as trace_engine_statements
from .turns import take_turn

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def engine_url(settings: Settings) -> URL:
    return make_url(settings.postgres_url()).set(drivername="postgresql+asyncpg")


def connect_args(settings: Settings) -> dict[str, Any]:
    server_settings = {"application_name": "{{ cookiecutter.project_slug }}"}
    args: dict[str, Any] = {"timeout": settings.db_connect_timeout, "server_settings": server_settings}
    if not settings.db_pgbouncer:
        # Enforced by the server, so a runaway query is cancelled there, not only abandoned here.
        server_settings["statement_timeout"] = str(round(settings.db_statement_timeout * 1000))
    else:
        # PgBouncer refuses a statement_timeout startup parameter: set it on the database role
        # (ALTER ROLE ... SET statement_timeout) instead. Transaction pooling hands each
        # transaction a different server session: no named prepared statement may outlive it,
        # and none may collide with another client's.
        args["statement_cache_size"] = 0
        args["prepared_statement_cache_size"] = 0
        args["prepared_statement_name_func"] = lambda: f"__asyncpg_{uuid.uuid4()}__"
    return args


def resting_isolation(settings: Settings) -> str:
    """Reads without BEGIN and ROLLBACK around them (WritesInTransactions), except behind PgBouncer.
    There, asyncpg prepares a statement and binds it in two exchanges, and may close an old statement
    in between; outside a transaction, PgBouncer can hand the bind to another server session, which
    never saw the statement ("prepared statement ... does not exist"). Inside one, every exchange
    stays on one server session."""
    return WRITE_ISOLATION if settings.db_pgbouncer else RESTING_ISOLATION


def create_engine(settings: Settings) -> AsyncEngine:
    engine = create_async_engine(
        engine_url(settings),
        connect_args=connect_args(settings),
        isolation_level=resting_isolation(settings),
        # No ping, a round trip on every request: a connection the server dropped while it was idle
        # is replaced at checkout (below), and a request's first read that meets a loss asyncpg has
        # not seen yet is sent again on a new connection (WritesInTransactions).
        **pool_arguments(settings, AsyncSteadyPool),
    )
    event.listen(engine.sync_engine, "checkout", _replace_if_closed)
    rest_between_uses(engine.sync_engine)
    return engine


def _replace_if_closed(dbapi_connection: Any, *_: object) -> None:
    """asyncpg reads every open connection's socket, so by the time one idle in the pool is handed
    out, a close the server sent is usually seen already; the pool then connects anew in its place."""
    if dbapi_connection.driver_connection.is_closed():
        raise sa_exc.DisconnectionError("the server closed this connection while it was idle")


class Database:
    """The engine and the session factory the app and its background tasks share."""

    def __init__(self, engine: AsyncEngine, settings: Settings) -> None:
        self.engine = engine
        # expire_on_commit=False: objects stay readable after commit without another round trip.
        self.sessionmaker = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=WritesInTransactions
        )
        # Turns at the pool, in arrival order: SQLAlchemy's pool hands a returned connection to
        # whoever asks next, so under load a newcomer overtakes a request that has waited longer
        # and the tail grows into timeouts.
        self._turns = asyncio.Semaphore(settings.pool_capacity)
        self._pool_timeout = settings.db_pool_timeout
        self._resting = settings.db_pool_size

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session once a connection is free, first come first served; BUSY after pool_timeout."""
        try:
            await take_turn(self._turns, asyncio.get_running_loop().time() + self._pool_timeout)
        except TimeoutError:
            raise PoolBusy("no free connection within DB_POOL_TIMEOUT") from None
        try:
            async with self.sessionmaker() as session:
                yield session
        finally:
            self._turns.release()

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def pool_status(self) -> dict[str, int]:
        return pool_figures(self.engine.sync_engine, self._resting)


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    engine = create_engine(settings)
    try:
        # Closing an asyncpg connection awaits: SQLAlchemy's sync code runs it in a greenlet.
        async with closing_spare_connections(engine.sync_engine, settings, greenlet_spawn):
            yield Database(engine, settings)
    finally:
        await engine.dispose()


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    database: Database = request.app.state.database
    async with database.session() as session:
        yield session


# scope="function": the session (and its connection) goes back to the pool before the response is
# sent, not after; at the default scope a slow client holds a connection for its whole download.
SessionDep = Annotated[AsyncSession, Depends(get_db, scope="function")]

DRIVER_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError)


def server_error(error: Exception) -> asyncpg.PostgresError | None:
    """asyncpg's own exception, which SQLAlchemy's adapter keeps as its cause: the adapter carries
    the SQLSTATE alone, asyncpg's exception the constraint, table and column too."""
    cause = getattr(getattr(error, "orig", None), "__cause__", None)
    return cause if isinstance(cause, asyncpg.PostgresError) else None


def classify(error: Exception) -> Diagnosis:
    if isinstance(error, sa_exc.TimeoutError):  # SQLAlchemy's pool: no connection within pool_timeout
        return Diagnosis(Failure.BUSY)
    if isinstance(error, OSError):  # the server is not there (refused, unreachable, connect timeout)
        return Diagnosis(Failure.UNAVAILABLE)
    diagnosis = Diagnosis.of(sqlstate(error), server_error(error))
    if diagnosis.failure is None and isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return replace(diagnosis, failure=Failure.UNAVAILABLE)
    return diagnosis


def trace_statements(database: Database, tracer_provider: "TracerProvider") -> Callable[[], None]:
    return trace_engine_statements(database.engine.sync_engine, tracer_provider)
