"""What both SQLAlchemy layers share about an engine: a pool that keeps its connections while they
are used, connections that rest in autocommit until a session writes, a read sent again when its
connection was lost, the SQLSTATE behind an error, the pool's figures, and a span per statement."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry, QueuePool
from sqlalchemy.util import queue as sqla_queue

from ..core.errors import Failure, failure_for_sqlstate
from ..core.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.engine.interfaces import IsolationLevel


class SteadyPool(QueuePool):
    """A QueuePool that keeps every connection it opens until the pool has had it to spare for a
    whole DB_POOL_IDLE_TIMEOUT. QueuePool closes a connection beyond `pool_size` the moment it is
    returned, so a service running near its pool size opens new server sessions all day; this one
    is sized to the full capacity and `close_spare`, called once per idle timeout, closes the
    connections that went unused all that time, down to the resting size."""

    # The fewest connections idle in the pool at any moment since the last close_spare: that many
    # were not needed at all in the meantime.
    _fewest_idle = 0

    def _do_get(self) -> ConnectionPoolEntry:
        record = super()._do_get()
        self._fewest_idle = min(self._fewest_idle, self.checkedin())
        return record

    def close_spare(self, keep: int) -> None:
        """Close the connections left idle since the last call, as long as more than `keep` are
        open. Blocking I/O on the sync engine; on the async one, run it in a greenlet."""
        spare = min(self._fewest_idle, self.checkedin() + self.checkedout() - keep)
        self._fewest_idle = self.checkedin() - max(spare, 0)
        for _ in range(spare):
            try:
                record = self._pool.get(False)
            except sqla_queue.Empty:  # lent out meanwhile: needed after all
                break
            # What QueuePool itself does with a connection returned beyond its size.
            try:
                record.close()
            finally:
                self._dec_overflow()


class AsyncSteadyPool(SteadyPool, AsyncAdaptedQueuePool):
    """SteadyPool on asyncio's queue, for the async engine."""


def pool_arguments(settings: Settings, poolclass: type[SteadyPool]) -> dict[str, Any]:
    """The pool as the settings size it, for the sync and the async engine alike: room for every
    connection a process may hold (DB_POOL_SIZE + DB_MAX_OVERFLOW), closed by closing_spare_connections
    rather than on return. No pre-ping, a round trip before every checkout: each layer replaces a
    connection the server closed at checkout, from what its driver has already seen, and a request's
    first read that meets a loss not seen yet is sent again (WritesInTransactions)."""
    return {
        "poolclass": poolclass,
        "pool_size": settings.pool_capacity,
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout,
    }


@asynccontextmanager
async def closing_spare_connections(
    engine: Engine, settings: Settings, off_the_loop: Callable[[Callable[[], None]], Awaitable[None]]
) -> AsyncIterator[None]:
    """For the block: every DB_POOL_IDLE_TIMEOUT seconds, close the connections the pool had to spare
    all that time, down to DB_POOL_SIZE. `off_the_loop` runs the closing where its driver's I/O may
    run. A close in progress is finished on the way out, then the engine may be disposed."""
    stopping = asyncio.Event()

    async def close_spare_until_stopped() -> None:
        while not stopping.is_set():
            try:
                async with asyncio.timeout(settings.db_pool_idle_timeout):
                    await stopping.wait()
            except TimeoutError:
                pool = engine.pool  # dispose() replaces it
                if isinstance(pool, SteadyPool):
                    await off_the_loop(partial(pool.close_spare, settings.db_pool_size))

    closing = asyncio.create_task(close_spare_until_stopped())
    try:
        yield
    finally:
        stopping.set()
        await closing


# Connections rest in autocommit: a read sends its statement alone, with no BEGIN and ROLLBACK round
# trips around it (at READ COMMITTED each statement sees its own snapshot either way). The first write
# of a session's transaction turns its connection into a real transaction (WritesInTransactions),
# and the pool turns it back when the connection is returned (rest_between_uses).
RESTING_ISOLATION: Final["IsolationLevel"] = "AUTOCOMMIT"
WRITE_ISOLATION: Final["IsolationLevel"] = "READ COMMITTED"  # PostgreSQL's default


class WritesInTransactions(Session):
    """The session both SQLAlchemy layers use. Its writes are one database transaction, however they
    are written: `session.begin()`, or `session.add(...)`/`flush()` then `commit()`; a rollback or a
    failure leaves nothing. Reads before the first write send no BEGIN. A connection that already
    holds a transaction (PgBouncer's mode, or the tests' per-test one) is used as it is."""

    # The transaction a write has begun on the database, while it is still the session's.
    _writing: SessionTransaction | None = None

    def begin(self, nested: bool = False) -> SessionTransaction:
        if nested:  # a SAVEPOINT needs a transaction around it, from before it is sent
            self.start_writing()
            return super().begin(nested=True)
        transaction = super().begin()
        self.start_writing()
        return transaction

    def start_writing(self) -> None:
        """From the next statement on, this session's transaction is a database transaction: its
        connection sends BEGIN and holds everything until commit or rollback. Flushes, `begin()`
        and statements other than SELECT call it; a read that must see a snapshot of its own (a
        `FOR UPDATE`) may call it too, or go inside `begin()`."""
        connection = self.connection()
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and connection.dialect.detect_autocommit_setting(dbapi_connection):
            connection.dialect.set_isolation_level(dbapi_connection, WRITE_ISOLATION)
            connection.info[_TURNED] = True  # rest_between_uses turns it back
        self._writing = self.get_transaction()

    # Every statement the session runs (`get` too) comes through one of these three.
    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(super().execute, statement, args, kwargs)

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(super().scalar, statement, args, kwargs)

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return self._run(super().scalars, statement, args, kwargs)

    def _run(
        self, run: Callable[..., Any], statement: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """A statement other than a SELECT (Core's insert, update or delete; text) starts writing;
        a read before anything is written or loaded may be sent again (_read_again_if_lost)."""
        if not getattr(statement, "is_select", False):
            self.start_writing()
            return run(statement, *args, **kwargs)
        transaction = self.get_transaction()
        first_read = not self.identity_map and (
            transaction is None
            or (transaction.origin is SessionTransactionOrigin.AUTOBEGIN and transaction is not self._writing)
        )
        if not first_read:
            return run(statement, *args, **kwargs)
        return _read_again_if_lost(self, run, statement, args, kwargs)


@event.listens_for(WritesInTransactions, "before_flush")
def _flush_in_a_transaction(session: WritesInTransactions, *_: object) -> None:
    session.start_writing()


_TURNED = "turned to a transaction by a write"


def rest_between_uses(engine: Engine) -> None:
    """A connection a write turned into a transaction goes back to the pool resting in autocommit,
    as the next session that takes it expects."""

    @event.listens_for(engine, "checkin")
    def _rest(dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_TURNED, False) and dbapi_connection is not None:
            engine.dialect.set_isolation_level(dbapi_connection, RESTING_ISOLATION)


def _read_again_if_lost(
    session: Session, run: Callable[..., Any], statement: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """A read before anything is written or loaded, met by a connection the server or the network
    took away, is sent once more on a new one. Safe only there: no work is lost with its connection
    (it autocommits, or, where a layer rests in a transaction, that transaction held only reads),
    and nothing loaded yet is expired by the rollback that lets the session take a new connection.
    Anything else fails as before: the error handlers answer 503 with Retry-After. SQLAlchemy's FAQ
    recipe for reads in autocommit, moved from the driver's cursor to the session so that the
    session's transaction stays consistent; a wrapper of the session's own methods, as a
    `do_orm_execute` hook would pass every statement through the session twice."""
    try:
        return run(statement, *args, **kwargs)
    except DBAPIError as error:
        # The server ended the session (terminated, shutting down) or the connection broke: what
        # the error handlers answer as the database being unavailable.
        lost = error.connection_invalidated or failure_for_sqlstate(sqlstate(error)) is Failure.UNAVAILABLE
        if not lost:
            raise
    session.connection().invalidate()  # this one only; SQLAlchemy already did if it saw the close
    session.rollback()
    return run(statement, *args, **kwargs)


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE the server sent, from the DBAPI error SQLAlchemy wraps (both drivers' errors
    name it `sqlstate`); None for an error that did not come from the server."""
    return getattr(getattr(error, "orig", None), "sqlstate", None)


def pool_figures(engine: Engine, resting: int) -> dict[str, int]:
    """`size` is the resting size (DB_POOL_SIZE); `overflow` the connections open beyond it."""
    pool: Any = engine.pool  # QueuePool's counters are not on the Pool base class
    checked_out, idle = pool.checkedout(), pool.checkedin()
    return {
        "size": resting,
        "checked_out": checked_out,
        "idle": idle,
        "overflow": max(0, checked_out + idle - resting),
    }


def trace_statements(engine: Engine, tracer_provider: "TracerProvider") -> Callable[[], None]:
    """A span per statement on this engine, with the SQL and its placeholders, never the values.
    Returns the undo, which the lifespan calls at shutdown."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    instrumentor = SQLAlchemyInstrumentor()
    # skip_dep_check: the package declares SQLAlchemy < 2.1, yet the engine events it listens to are
    # unchanged in 2.1 (test_tracing.py finds the spans; the template's suite says when this
    # override can go).
    instrumentor.instrument(engine=engine, tracer_provider=tracer_provider, skip_dep_check=True)
    return lambda: instrumentor.uninstrument()
