"""The apps tests run against, whatever the driver: the run's app, and apps with their own pool and
real commits for tests of concurrency and faults."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.main import create_app

from .clients import app_client
from .declared import record_responses
from .postgres import named_server, test_server_url, test_settings
from .protocols import Sql

APPLICATION_NAME = "{{ cookiecutter.project_slug }}"  # every driver sends it, so tests find the app's sessions
StartApp = Callable[..., AbstractAsyncContextManager[AsyncClient]]
# Other runs may share the server (each with a database of its own): look at this run's sessions only.
THIS_DATABASE = "datname = current_database()"
{%- if cookiecutter.auth == "jwt" %}
# The suite's identity provider: a real HTTP server, its keys made for this run.
pytest_plugins = ["tests.auth.plugin"]
{%- endif %}


def pytest_sessionstart(session: pytest.Session) -> None:
    """A bad TEST_DATABASE_URL or setting stops the run in one line before any test starts, not as an
    error in every test that needs the database."""
    test_settings(named_server() or "postgresql://localhost/checked")


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with test_server_url() as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """`database_url` comes from the driver's conftest: it creates and migrates the database."""
    return test_settings(database_url)


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app for the whole run, lifespan started; tests reach it through `client`."""
    application = record_responses(create_app(settings))
    async with LifespanManager(application):
        yield application


@pytest.fixture
def start_app(settings: Settings) -> StartApp:
    """Start an app on the test database with some settings changed, e.g. `start_app(db_pool_size=1)`."""

    @contextlib.asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[AsyncClient]:
        app = record_responses(create_app(Settings(_env_file=None, **(settings.model_dump() | changes))))
        async with LifespanManager(app), app_client(app) as client:
            yield client

    return start


@pytest.fixture
async def live_client(start_app: StartApp) -> AsyncIterator[AsyncClient]:
    """A client for an app with its own pool and real commits, for tests that need concurrency;
    they must delete what they create."""
    async with start_app() as client:
        yield client


@contextlib.asynccontextmanager
async def row_locked(live_sql: Sql, table: str, row_id: int) -> AsyncIterator[None]:
    """Another session holds the row's lock until the block ends. One statement does it (lock,
    then sleep), so it needs nothing from the driver but plain SQL."""
    holder = asyncio.create_task(
        live_sql(f"SELECT pg_sleep(60) FROM (SELECT id FROM {table} WHERE id = {row_id} FOR UPDATE) AS held")
    )
    try:
        sleeping = f"SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND {THIS_DATABASE}"
        assert await eventually(lambda: live_sql(sleeping))
        yield
    finally:
        await live_sql(f"SELECT pg_cancel_backend(pid) FROM ({sleeping}) AS holders")
        with contextlib.suppress(Exception):  # the holder's statement ends "canceled", as intended
            await holder


async def eventually(check: Callable[[], Awaitable[object]], within: float = 5.0) -> bool:
    """Poll `check` until it returns something truthy; False if it never does within `within` s."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def delete_accounts(live_sql: Sql, ids: list[int]) -> None:
    """Remove committed accounts with their transfers and audit events (children first)."""
    listed = ", ".join(str(int(id_)) for id_ in ids)
    theirs = f"from_account_id IN ({listed}) OR to_account_id IN ({listed})"
    await live_sql(f"DELETE FROM audit_events WHERE subject_id IN (SELECT id FROM transfers WHERE {theirs})")
    await live_sql(f"DELETE FROM transfers WHERE {theirs}")
    await live_sql(f"DELETE FROM accounts WHERE id IN ({listed})")


async def app_sessions(live_sql: Sql) -> dict[str, int]:
    """The app's server sessions by state ('active', 'idle', 'idle in transaction', ...)."""
    rows = await live_sql(
        "SELECT state, count(*) FROM pg_stat_activity"
        f" WHERE application_name = '{APPLICATION_NAME}' AND {THIS_DATABASE} GROUP BY state"
    )
    return {str(state): int(count) for state, count in rows}
