"""Fixtures for SQLAlchemy sync on psycopg: a migrated test database and per-test rollback.

The database work here is sync code; where an async test awaits it, it runs on a worker thread.
"""

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import anyio.to_thread
import pytest
from alembic import command
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import URL, Connection, Engine, create_engine, inspect, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.db import Database, engine_url
from {{ cookiecutter.package_name }}.db.sqlalchemy_engine import WRITE_ISOLATION, WritesInTransactions
from {{ cookiecutter.package_name }}.db.threadpool import WorkerThreads

from . import probe
from .alembic_migrator import AlembicMigrator, alembic_config
from .clients import app_client
from .postgres import THROWAWAY_SETTINGS, database_name, test_settings, with_database
from .protocols import CountQueries, Sql
from .statements import statement_counter


def psycopg_url(url: str) -> URL:
    return engine_url(test_settings(url))


@contextmanager
def server_admin(url: str) -> Iterator[Connection]:
    """An autocommit connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    engine = create_engine(
        psycopg_url(with_database(url, "postgres")), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def create_database(url: str) -> None:
    name = database_name(url)
    with server_admin(url) as admin:
        exists = admin.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            admin.execute(text(f'CREATE DATABASE "{name}"'))
        admin.execute(text(f'ALTER DATABASE "{name}" {THROWAWAY_SETTINGS}'))


def execute(connection: Connection, statement: str) -> list[tuple[Any, ...]]:
    result = connection.execute(text(statement))
    return [tuple(row) for row in result] if result.returns_rows else []


@pytest.fixture(scope="session")
def database_url(server_url: str) -> str:
    """The test database, created if missing and migrated to head once per run, with the probe's table."""
    create_database(server_url)
    command.upgrade(alembic_config(psycopg_url(server_url)), "head")
    engine = create_engine(psycopg_url(server_url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            for statement in probe.CREATE_TABLE:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    return server_url


@pytest.fixture
def connection(app: FastAPI) -> Iterator[Connection]:
    """A transaction around the whole test, rolled back at the end. The app's sessions (background
    tasks' too) join it through SAVEPOINTs, so app code may commit and roll back freely."""
    database: Database = app.state.database
    own_sessionmaker = database.sessionmaker
    with database.engine.connect() as connection:
        # The app's connections rest in autocommit; this one holds the test's transaction.
        connection.execution_options(isolation_level=WRITE_ISOLATION)
        transaction = connection.begin()
        database.sessionmaker = sessionmaker(
            connection,
            class_=WritesInTransactions,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )
        try:
            yield connection
        finally:
            database.sessionmaker = own_sessionmaker
            transaction.rollback()


@pytest.fixture
async def client(app: FastAPI, connection: Connection) -> AsyncIterator[AsyncClient]:
    # Every session of the app now shares the test's connection, from whichever worker thread runs
    # it. One worker thread at a time keeps that use strictly sequential even if a test fires
    # requests at once, so two sessions' SAVEPOINTs never interleave; a queued call waits as long
    # as it takes, as one test's requests never hold the connection for long.
    # Leaving the block waits for anything still running (a cancelled request's call, a deferred
    # close): nothing may touch the connection once the test's transaction is rolled back.
    database: Database = app.state.database
    own_threads = database.threads
    async with WorkerThreads(1, timeout=60) as one_at_a_time:
        database.threads = one_at_a_time
        try:
            async with app_client(app) as http:
                yield http
        finally:
            database.threads = own_threads


@pytest.fixture
def sql(connection: Connection) -> Sql:
    """SQL inside the test's transaction: it sees what the app wrote during the test."""

    async def run(statement: str) -> list[tuple[Any, ...]]:
        return await anyio.to_thread.run_sync(execute, connection, statement)

    return run


@pytest.fixture
def count_queries(app: FastAPI) -> CountQueries:
    engine: Engine = app.state.database.engine
    return statement_counter(engine)


@pytest.fixture(scope="session")
def autocommit_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(psycopg_url(database_url), isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    engine.dispose()


@pytest.fixture
def live_sql(autocommit_engine: Engine) -> Sql:
    """SQL in autocommit, outside any test transaction: it sees and changes committed data only."""

    def run_sync(statement: str) -> list[tuple[Any, ...]]:
        with autocommit_engine.connect() as connection:
            return execute(connection, statement)

    async def run(statement: str) -> list[tuple[Any, ...]]:
        # A thread with a limiter of its own, not AnyIO's default one: the autocommit engine must
        # answer whatever else is busy, which is when tests of concurrency look.
        return await anyio.to_thread.run_sync(run_sync, statement, limiter=anyio.CapacityLimiter(1))

    return run


def public_tables(url: str) -> set[str]:
    engine = create_engine(psycopg_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def migrator(database_url: str) -> Iterator[AlembicMigrator]:
    name = f"{database_name(database_url)}_migrations"
    with server_admin(database_url) as admin:
        admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = with_database(database_url, name)
    yield AlembicMigrator(psycopg_url(scratch), partial(anyio.to_thread.run_sync, public_tables, scratch))
    with server_admin(database_url) as admin:
        admin.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
