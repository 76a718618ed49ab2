"""The contract between the shared code and the database layer: what every driver's `db` package provides,
written once. main.py binds the layer's module to `Driver`, so mypy checks each layer against it.

Routes also import two names from `db`, which no Protocol can state: `SessionDep`, the request's
session (its type is the driver's own), and `Database`, the class `open_database` yields."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol, TypeVar

from .errors import Diagnosis
from .settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


class DatabaseHandle(Protocol):
    """What readiness and the metrics ask of the app's database, whatever the driver."""

    async def ping(self) -> None:
        """One round trip to the server; raises the driver's error when it does not answer."""

    def pool_status(self) -> dict[str, int]:
        """Pool figures for readiness and the metrics: at least size, checked_out and overflow."""


DatabaseT = TypeVar("DatabaseT", bound=DatabaseHandle)


class Driver(Protocol[DatabaseT]):
    """A database layer's `db` package, as the app factory, the error handlers and tracing use it."""

    # Exceptions the error handlers catch and pass to classify().
    DRIVER_ERRORS: tuple[type[Exception], ...]

    def open_database(self, settings: Settings) -> AbstractAsyncContextManager[DatabaseT]:
        """The pool for the app's lifetime; nothing need connect before the first request."""

    def classify(self, error: Exception) -> Diagnosis:
        """What a driver error means for the client, read from the driver's own exception: its
        SQLSTATE and the constraint, table and column the server named, when it came from the server."""

    def trace_statements(self, database: DatabaseT, tracer_provider: "TracerProvider") -> Callable[[], None]:
        """A span per statement, without values; returns the undo."""
