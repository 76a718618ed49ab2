"""Fixtures for SQLAlchemy async on asyncpg: a migrated test database and per-test rollback."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import pytest
from alembic import command
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.db import Database, engine_url
from {{ cookiecutter.package_name }}.db.sqlalchemy_engine import WRITE_ISOLATION

from . import probe
from .alembic_migrator import AlembicMigrator, alembic_config
from .clients import app_client
from .postgres import THROWAWAY_SETTINGS, database_name, test_settings, with_database
from .protocols import CountQueries, Sql
from .statements import statement_counter


def async_url(url: str) -> URL:
    return engine_url(test_settings(url))


@asynccontextmanager
async def server_admin(url: str) -> AsyncIterator[AsyncConnection]:
    """An autocommit connection to the server's maintenance database, for CREATE/DROP DATABASE."""
    engine = create_async_engine(
        async_url(with_database(url, "postgres")), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def create_database(url: str) -> None:
    name = database_name(url)
    async with server_admin(url) as admin:
        exists = await admin.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            await admin.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.execute(text(f'ALTER DATABASE "{name}" {THROWAWAY_SETTINGS}'))


def rows(result: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in result] if result.returns_rows else []


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> str:
    """The test database, created if missing and migrated to head once per run, with the probe's table."""
    await create_database(server_url)
    await asyncio.to_thread(command.upgrade, alembic_config(async_url(server_url)), "head")
    engine = create_async_engine(async_url(server_url), poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            for statement in probe.CREATE_TABLE:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()
    return server_url


@pytest.fixture
async def connection(app: FastAPI) -> AsyncIterator[AsyncConnection]:
    """A transaction around the whole test, rolled back at the end. The app's sessions (background
    tasks' too) join it through SAVEPOINTs, so app code may commit and roll back freely."""
    database: Database = app.state.database
    own_sessionmaker = database.sessionmaker
    async with database.engine.connect() as connection:
        # The app's connections rest in autocommit; this one holds the test's transaction.
        await connection.execution_options(isolation_level=WRITE_ISOLATION)
        transaction = await connection.begin()
        database.sessionmaker = async_sessionmaker(
            connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield connection
        finally:
            database.sessionmaker = own_sessionmaker
            await transaction.rollback()


@pytest.fixture
async def client(app: FastAPI, connection: AsyncConnection) -> AsyncIterator[AsyncClient]:
    async with app_client(app) as http:
        yield http


@pytest.fixture
def sql(connection: AsyncConnection) -> Sql:
    """SQL inside the test's transaction: it sees what the app wrote during the test."""

    async def run(statement: str) -> list[tuple[Any, ...]]:
        return rows(await connection.execute(text(statement)))

    return run


@pytest.fixture
def count_queries(app: FastAPI) -> CountQueries:
    engine: AsyncEngine = app.state.database.engine
    return statement_counter(engine.sync_engine)


@pytest.fixture(scope="session")
async def autocommit_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(database_url), isolation_level="AUTOCOMMIT", pool_size=1)
    yield engine
    await engine.dispose()


@pytest.fixture
def live_sql(autocommit_engine: AsyncEngine) -> Sql:
    """SQL in autocommit, outside any test transaction: it sees and changes committed data only."""

    async def run(statement: str) -> list[tuple[Any, ...]]:
        async with autocommit_engine.connect() as connection:
            return rows(await connection.execute(text(statement)))

    return run


async def public_tables(url: str) -> set[str]:
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            names = await connection.scalars(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            return set(names)
    finally:
        await engine.dispose()


@pytest.fixture
async def migrator(database_url: str) -> AsyncIterator[AlembicMigrator]:
    name = f"{database_name(database_url)}_migrations"
    async with server_admin(database_url) as admin:
        await admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = with_database(database_url, name)
    yield AlembicMigrator(async_url(scratch), partial(public_tables, scratch))
    async with server_admin(database_url) as admin:
        await admin.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
