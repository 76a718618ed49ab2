"""Every private name of Tortoise this package relies on, each with why; no other module touches one.

Tortoise offers no public way to reach its pool, its transaction's connection or its current context,
and the fault handling in client.py and transaction.py needs all three. The pin on tortoise-orm in
pyproject.toml keeps a new minor release from moving them under us; tests/test_tortoise_internals.py
names any that the installed Tortoise lacks, and holds every other module to reaching them from here.
"""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionContext
from tortoise.context import TortoiseContext, _current_context
from tortoise.contrib.fastapi import RegisterTortoise

# The private methods of AsyncpgDBClient that client.BoundedClient overrides, overriding being the
# only way in: _in_transaction builds what in_transaction() on the pool returns (our safe
# transaction), and _translate_exceptions is the one step every statement outside a transaction
# passes through (where a read on a dropped connection is retried).
CLIENT_OVERRIDES: Final = ("_in_transaction", "_translate_exceptions")

# Every private name this module reaches, by where Tortoise keeps it: tests/test_tortoise_internals.py
# checks each is there.
FENCED: Final[dict[str, tuple[str, ...]]] = {
    "tortoise.context": ("_current_context",),
    "tortoise.contrib.fastapi.RegisterTortoise": ("_enable_global_fallback",),  # a constructor keyword
    "tortoise.backends.asyncpg.client.AsyncpgDBClient": ("_pool", "_pool_init_lock", *CLIENT_OVERRIDES),
    "tortoise.backends.asyncpg.client.TransactionWrapper": (
        "_parent",
        "_connection",
        "_finalized",
        "_in_transaction",
    ),
}


@contextmanager
def current(context: TortoiseContext) -> Iterator[None]:
    """Make `context` the one models and in_transaction() use in this task until the block ends."""
    # `with context:` would keep one token on the context, which concurrent requests overwrite.
    token = _current_context.set(context)
    try:
        yield
    finally:
        _current_context.reset(token)


def make_current(context: TortoiseContext) -> None:
    """Make `context` the one this task uses from now on, until the task ends: for a request's task,
    where there is no block to end (db.get_db)."""
    _current_context.set(context)


def register(config: dict[str, Any]) -> RegisterTortoise:
    """Tortoise registered for an app's lifetime, in the context current when it starts."""
    # No global fallback: only one app per process may set it (tests start several); db.get_db sets ours.
    return RegisterTortoise(config=config, _enable_global_fallback=False)


def transaction(session: BaseDBAsyncClient) -> TransactionContext:
    """A transaction on `session`, a SAVEPOINT when it is one already: what in_transaction() opens,
    opened on the connection the caller was given rather than on one it looks up by name."""
    return session._in_transaction()


def pool(client: BaseDBAsyncClient) -> Any:
    """The client's asyncpg pool (as client.BoundedPool), or None before first use and after close."""
    # Tortoise opens the pool lazily and keeps it only here; readiness, metrics and retries need it.
    return client._pool


def pool_init_lock(client: AsyncpgDBClient) -> asyncio.Lock:
    # The lock Tortoise opens the pool under; ours takes the same one, so only one pool ever opens.
    return client._pool_init_lock


def parent(transaction: TransactionWrapper) -> AsyncpgDBClient:
    # The pooled client the transaction came from: its pool lends and takes back the connection.
    return transaction._parent


def connection(transaction: TransactionWrapper) -> Any:
    # The connection the transaction ran on: ours hands it back to the pool when the block ends.
    return transaction._connection


def set_connection(transaction: TransactionWrapper, taken: Any) -> None:
    # Ours takes the connection from the pool itself; begin(), commit() and statements look here.
    transaction._connection = taken


def finalized(transaction: TransactionWrapper) -> bool:
    # True once the block committed or rolled back itself; leaving it must then do neither again.
    return transaction._finalized
