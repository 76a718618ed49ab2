"""Connections outside every app and Tortoise context: creating databases, watching committed rows."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from {{ cookiecutter.package_name }}.orm import credentials
from {{ cookiecutter.package_name }}.pool import BoundedClient
from {{ cookiecutter.package_name }}.settings import Settings

from .postgres import database_name, with_database


def test_settings(url: str) -> Settings:
    return Settings(_env_file=None, environment="test", database_url=url)


@asynccontextmanager
async def standalone(url: str) -> AsyncIterator[BoundedClient]:
    """A client with one connection in autocommit, for the database in `url`."""
    arguments = {**credentials(test_settings(url)), "minsize": 1, "maxsize": 1}
    client = BoundedClient(connection_name="tests", **arguments)
    try:
        yield client
    finally:
        await client.close()


def rows(result: tuple[int, Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple(row.values()) for row in result[1]]


async def create_database(url: str) -> None:
    name = database_name(url)
    async with standalone(with_database(url, "postgres")) as admin:
        exists = await admin.execute_query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        if not rows(exists):
            await admin.execute_script(f'CREATE DATABASE "{name}"')


async def recreate_database(url: str) -> None:
    name = database_name(url)
    async with standalone(with_database(url, "postgres")) as admin:
        await admin.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute_script(f'CREATE DATABASE "{name}"')


async def drop_database(url: str) -> None:
    async with standalone(with_database(url, "postgres")) as admin:
        await admin.execute_script(f'DROP DATABASE "{database_name(url)}" WITH (FORCE)')


async def tables(url: str) -> set[str]:
    async with standalone(url) as client:
        found = await client.execute_query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in rows(found)}
