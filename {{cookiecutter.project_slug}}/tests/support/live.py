"""The apps tests run against, whatever the driver: the run's app, and apps with their own pool and
real commits for tests of concurrency and faults; and the paths of their routes, by name."""

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.settings import Settings

from .clients import app_client
from .declared import record_responses
from .postgres import named_server, test_server_url, test_settings
from .probe import with_probe

StartApp = Callable[..., AbstractAsyncContextManager[AsyncClient]]
AppFactory = Callable[[Settings], FastAPI]

# The statement or pool timeout of an app a test holds up on purpose (a row lock that lasts, a pool
# kept full): that wait always runs out, so the timeout only has to outlast the statements that
# must succeed in the meantime, milliseconds each even on a loaded machine.
FAULT_TIMEOUT = 0.25


class PathTo(Protocol):
    """The path of one of the app's routes, by its name (the operation id in the schema)."""

    def __call__(self, name: str, /, **path_params: object) -> str: ...


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
async def app(settings: Settings, app_factory: AppFactory) -> AsyncIterator[FastAPI]:
    """The app for the whole run, lifespan started; tests reach it through `client`."""
    application = record_responses(with_probe(app_factory(settings)))
    async with LifespanManager(application):
        yield application


@pytest.fixture(scope="session")
def path_to(app: FastAPI) -> PathTo:
    """`path_to("get_item", item_id=7)` is "/items/7": tests name routes as a client generated from
    the schema does, so a path that moves moves for them too. Every app has the same routes."""
    return app.url_path_for


@pytest.fixture
def start_app(settings: Settings, app_factory: AppFactory) -> StartApp:
    """Start an app on the test database with some settings changed, e.g. `start_app(db_pool_size=1)`."""

    @contextlib.asynccontextmanager
    async def start(**changes: Any) -> AsyncIterator[AsyncClient]:
        changed = Settings(_env_file=None, **(settings.model_dump() | changes))
        app = record_responses(with_probe(app_factory(changed)))
        async with LifespanManager(app), app_client(app) as client:
            yield client

    return start


@pytest.fixture
async def live_client(start_app: StartApp) -> AsyncIterator[AsyncClient]:
    """A client for an app with its own pool and real commits, for tests that need concurrency;
    they must delete what they create."""
    async with start_app() as client:
        yield client


def unreachable_database_url(password: str) -> str:
    """A DATABASE_URL on a port nothing listens on (9, discard): every connection is refused at once.
    The password is one the test then looks for, in logs and responses."""
    return f"postgresql://app:{password}@127.0.0.1:9/app"
