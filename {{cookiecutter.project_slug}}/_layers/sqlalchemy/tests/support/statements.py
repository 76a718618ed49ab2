"""Counting the statements an app sends through a SQLAlchemy engine: the N+1 guard's measure."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from .protocols import CountQueries

# The test's own SAVEPOINT plumbing (per-test rollback) is not the app's work.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Counter:
    count = 0

    def __call__(self, _connection: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1


def statement_counter(engine: Engine) -> CountQueries:
    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting
