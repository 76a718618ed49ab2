"""Fixtures for Tortoise ORM on asyncpg: a database migrated by the `tortoise` CLI, per-test rollback."""

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.db.client import BoundedClient
from {{ cookiecutter.package_name }}.db.tortoise_config import CONNECTION

from . import probe
from .clients import app_client
from .postgres import database_name, with_database
from .protocols import CountQueries, Sql
from .standalone_clients import create_database, drop_database, recreate_database, rows, standalone
from .tortoise_cli import TortoiseMigrator, tortoise

# Tortoise logs every statement it sends here (transaction control goes through asyncpg unlogged).
STATEMENT_LOG = logging.getLogger("tortoise.db_client")


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> str:
    """The test database, created if missing and migrated once per run by `tortoise migrate`, with the
    probe's table."""
    await create_database(server_url)
    await tortoise(server_url, "migrate")
    async with standalone(server_url) as client:
        for statement in probe.CREATE_TABLE:
            await client.execute_script(statement)
    return server_url


@pytest.fixture
async def connection(app: FastAPI) -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction around the whole test, rolled back at the end.

    Tortoise keeps the open transaction in a contextvar, pytest-asyncio hands a fixture's contextvars
    on to the test, and httpx's ASGITransport runs the app in the test's own task: so the app's
    get_db sees this transaction as its connection and every in_transaction() in the app (background
    tasks' too) becomes a SAVEPOINT inside it. App code may commit and roll back freely."""
    database: Database = app.state.database
    with database.session():
        async with in_transaction(CONNECTION) as transaction:
            yield transaction
            await transaction.rollback()


@pytest.fixture
async def client(app: FastAPI, connection: BaseDBAsyncClient) -> AsyncIterator[AsyncClient]:
    async with app_client(app) as http:
        yield http


@pytest.fixture
def sql(connection: BaseDBAsyncClient) -> Sql:
    """SQL inside the test's transaction: it sees what the app wrote during the test."""

    async def run(statement: str) -> list[tuple[Any, ...]]:
        return rows(await connection.execute_query_dict(statement))

    return run


class Counter(logging.Handler):
    """Counts the statements Tortoise sends; savepoints and other transaction control are not among them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@pytest.fixture
def count_queries() -> CountQueries:
    @contextmanager
    def counting() -> Iterator[Counter]:
        counter = Counter()
        level, propagate = STATEMENT_LOG.level, STATEMENT_LOG.propagate
        STATEMENT_LOG.addHandler(counter)
        STATEMENT_LOG.setLevel(logging.DEBUG)
        STATEMENT_LOG.propagate = False  # counted, not printed
        try:
            yield counter
        finally:
            STATEMENT_LOG.removeHandler(counter)
            STATEMENT_LOG.setLevel(level)
            STATEMENT_LOG.propagate = propagate

    return counting


@pytest.fixture(scope="session")
async def autocommit_client(database_url: str) -> AsyncIterator[BoundedClient]:
    # More than one connection: a test may hold one (row_locked's sleeping lock) while it looks.
    async with standalone(database_url, connections=4) as client:
        yield client


@pytest.fixture
def live_sql(autocommit_client: BoundedClient) -> Sql:
    """SQL in autocommit, outside any test transaction: it sees and changes committed data only."""

    async def run(statement: str) -> list[tuple[Any, ...]]:
        return rows(await autocommit_client.execute_query_dict(statement))

    return run


@pytest.fixture
async def migrator(database_url: str) -> AsyncIterator[TortoiseMigrator]:
    url = with_database(database_url, f"{database_name(database_url)}_migrations")
    await recreate_database(url)
    yield TortoiseMigrator(url)
    await drop_database(url)
