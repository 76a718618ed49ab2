"""What both SQLAlchemy layers share about an engine: how the settings size its pool, connections
that rest in autocommit until a session writes, a read sent again when its connection was lost,
the SQLSTATE behind an error, the pool's figures, and a span per statement."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin

from ..core.errors import Failure, failure_for_sqlstate
from ..core.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.engine.interfaces import IsolationLevel


def pool_arguments(settings: Settings) -> dict[str, Any]:
    """The pool as the settings size it, for the sync and the async engine alike. No pre-ping, a
    round trip before every checkout: each layer replaces a connection the server closed at
    checkout, from what its driver has already seen, and a request's first read that meets a loss
    not seen yet is sent again (WritesInTransactions)."""
    return {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout,
    }


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


def pool_figures(engine: Engine) -> dict[str, int]:
    pool: Any = engine.pool  # QueuePool's counters are not on the Pool base class
    return {
        "size": pool.size(),
        "checked_out": pool.checkedout(),
        "idle": pool.checkedin(),
        "overflow": max(0, pool.overflow()),  # negative until the pool has filled once
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
