"""The fixtures every driver's conftest provides, as types: the contract tests see only these."""

from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from typing import Any, Protocol


class QueryCounter(Protocol):
    count: int


# Runs one SQL statement and returns its rows as tuples.
Sql = Callable[[str], Coroutine[Any, Any, list[tuple[Any, ...]]]]
CountQueries = Callable[[], AbstractContextManager[QueryCounter]]


class Migrator(Protocol):
    """Migrations applied the way a user applies them, to a scratch database of their own."""

    # The command that writes the migration the models need, as the README gives it.
    new_migration: str
    url: str  # the scratch database, in a form DATABASE_URL accepts

    async def upgrade(self) -> None: ...

    async def downgrade(self) -> None: ...

    async def drift(self) -> list[str]:
        """Differences between the models and what the migrations describe; empty when they match.
        Each tool prepares what it compares against (Alembic the migrated scratch database, Tortoise
        the migration files alone)."""
        ...

    async def tables(self) -> set[str]: ...
