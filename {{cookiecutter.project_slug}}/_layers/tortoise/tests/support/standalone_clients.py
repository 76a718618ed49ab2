"""Connections outside every app and Tortoise context: creating databases, watching committed rows."""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from {{ cookiecutter.package_name }}.db.client import BoundedClient
from {{ cookiecutter.package_name }}.db.tortoise_config import credentials

from .postgres import THROWAWAY_SETTINGS, database_name, test_settings, with_database

# Not the app's application_name: the fault tests find (and kill) the app's sessions by it.
TESTS_APPLICATION_NAME = "{{ cookiecutter.project_slug }}-tests"


@asynccontextmanager
async def standalone(url: str, connections: int = 1) -> AsyncIterator[BoundedClient]:
    """A client with up to `connections` connections in autocommit, for the database in `url`."""
    arguments = credentials(test_settings(url))
    arguments |= {
        "minsize": 1,
        "maxsize": connections,
        "server_settings": {**arguments["server_settings"], "application_name": TESTS_APPLICATION_NAME},
    }
    client = BoundedClient(connection_name="tests", **arguments)
    try:
        yield client
    finally:
        await client.close()


def rows(result: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples, from execute_query_dict: execute_query drops what INSERT ... RETURNING returns."""
    return [tuple(row.values()) for row in result]


async def create_database(url: str) -> None:
    name = database_name(url)
    async with standalone(with_database(url, "postgres")) as admin:
        exists = await admin.execute_query_dict("SELECT 1 FROM pg_database WHERE datname = $1", [name])
        if not rows(exists):
            await admin.execute_script(f'CREATE DATABASE "{name}"')
        await admin.execute_script(f'ALTER DATABASE "{name}" {THROWAWAY_SETTINGS}')


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
        found = await client.execute_query_dict("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in rows(found)}
