"""What both SQLAlchemy layers share about an engine: how the settings size its pool, connections
that rest in autocommit with writes in real transactions, a read sent again when its connection was
lost, the SQLSTATE behind an error, the pool's figures, and a span per statement."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.orm import Session, SessionTransaction, SessionTransactionOrigin

from ..core.errors import Failure, failure_for_sqlstate
from ..core.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


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
# trips around it (at READ COMMITTED each statement sees its own snapshot either way). A write's
# `session.begin()` asks for WRITE_ISOLATION, which makes SQLAlchemy send BEGIN and COMMIT around it
# (WritesInTransactions).
RESTING_ISOLATION = "AUTOCOMMIT"
WRITE_ISOLATION = "READ COMMITTED"  # PostgreSQL's default


class WritesInTransactions(Session):
    """The session both SQLAlchemy layers use: `session.begin()` is a real database transaction on
    a connection that otherwise rests in autocommit, and a write outside one is refused instead of
    committing statement by statement. A session bound to one connection (the tests' per-test
    transaction) is already inside a transaction and joins it as any session does."""

    def begin(self, nested: bool = False) -> SessionTransaction:
        transaction = super().begin(nested=nested)
        if not nested and isinstance(self.bind, Engine):
            self.connection(execution_options={"isolation_level": WRITE_ISOLATION})
        return transaction

    # Every statement the session runs (`get` too) comes through one of these three.
    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return _read_again_if_lost(self, super().execute, statement, args, kwargs)

    def scalar(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return _read_again_if_lost(self, super().scalar, statement, args, kwargs)

    def scalars(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        return _read_again_if_lost(self, super().scalars, statement, args, kwargs)


def _read_again_if_lost(
    session: Session, run: Callable[..., Any], statement: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """A request's first read, met by a connection the server or the network took away, is sent once
    more on a new one. Safe only there: outside `session.begin()` the read changed nothing, and no
    work is lost with its connection (it autocommits, or, where a layer rests in a transaction, that
    transaction held only this read), and nothing loaded yet is expired by the rollback that lets
    the session take a new connection. Anything else fails as before: the error handlers answer 503
    with Retry-After. SQLAlchemy's FAQ recipe for reads in autocommit, moved from the driver's cursor
    to the session so that the session's transaction stays consistent. A wrapper of the session's
    own methods rather than a `do_orm_execute` hook: a hook makes every statement build an
    ORMExecuteState and pass through the session twice (in-process count, one-row read: about 3% of
    the request's instructions)."""
    transaction = session.get_transaction()
    if not (
        getattr(statement, "is_select", False)
        and isinstance(session.bind, Engine)  # not the tests' session inside a per-test transaction
        and (transaction is None or transaction.origin is SessionTransactionOrigin.AUTOBEGIN)
        and not session.identity_map
    ):
        return run(statement, *args, **kwargs)
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


@event.listens_for(WritesInTransactions, "before_flush")
def _refuse_writes_outside_begin(session: Session, *_: object) -> None:
    transaction = session.get_transaction()
    autobegun = transaction is not None and transaction.origin is SessionTransactionOrigin.AUTOBEGIN
    if autobegun and isinstance(session.bind, Engine):
        raise InvalidRequestError(
            "writes go inside `session.begin()`: outside it this service's connections autocommit,"
            " so they would not be one transaction"
        )


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
    # unchanged in 2.1 (test_tracing.py finds the spans; test_tracing_dependencies.py says when this
    # override can go).
    instrumentor.instrument(engine=engine, tracer_provider=tracer_provider, skip_dep_check=True)
    return lambda: instrumentor.uninstrument()
