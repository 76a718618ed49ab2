"""Checks every test gets for free, whatever the driver: nothing a test does may outlive it, and
the service's code makes no blocking call on the event loop."""

import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from blockbuster import BlockBuster, BlockingError

from . import probe
from .blocking import driver_rules
from .protocols import Sql

SERVICE = "{{ cookiecutter.package_name }}"


@pytest.fixture(autouse=True)
async def no_rows_left_behind(live_sql: Sql, service_tables: tuple[str, ...]) -> AsyncIterator[None]:
    """`service_tables` (tests/conftest.py) and the probe's: the tables a test must leave as it found them."""
    yield
    tables = (*service_tables, probe.TABLE)
    counts = " + ".join(f"(SELECT count(*) FROM {table})" for table in tables)
    [(left,)] = await live_sql(f"SELECT {counts}")
    if left:  # cleared, so the test that left them fails alone, not every test after it too
        await live_sql(f"TRUNCATE {', '.join(tables)}")
    assert left == 0, f"{left} committed row(s) left behind"


class NotedBlockingCalls(logging.Handler):
    """The blocking calls the service's own error handling turned into a 500 (or a task's logged
    failure): the test fails for them even where it did not look at that answer."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.calls: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and isinstance(record.exc_info[1], BlockingError):
            self.calls.append(str(record.exc_info[1]))


# Where the app may block while it is built and started, once, before it serves anything: its
# settings read `.env`, tracing reads the installed packages' metadata and its resource's detectors.
STARTUP = (
    ("pydantic_settings/sources/providers/dotenv.py", "_read_env_files"),
    ("pydantic_settings/sources/utils.py", "_resolve_config_file"),
    ("opentelemetry/instrumentation/dependencies.py", "get_dependency_conflicts"),
    ("opentelemetry/sdk/resources/__init__.py", "create"),
)


@pytest.fixture(scope="session")
def may_block() -> tuple[tuple[str, str], ...]:
    """(file, function) pairs under which the service may block the loop, as blockbuster's
    `can_block_in` takes them ("somelib/config.py", "load"): override in tests/conftest.py."""
    return ()


def refusing_blocking_calls(scanned: str, may_block: tuple[tuple[str, str], ...]) -> BlockBuster:
    """blockbuster over the calls made from `scanned`'s code (a module or package name), with
    the allowances of startup, of the driver and of the service."""
    buster = BlockBuster(scanned)
    for function in buster.functions.values():
        for filename, name in (*STARTUP, *may_block):
            function.can_block_in(filename, name)
    driver_rules(buster, [scanned])
    return buster


@pytest.fixture(autouse=True)
def event_loop_never_blocked(may_block: tuple[tuple[str, str], ...]) -> Iterator[None]:
    """Fail a test in which the service's code made a blocking call on the event loop (time.sleep,
    a file or socket read, a lock held elsewhere, a sync driver's wait): blockbuster raises there,
    with the call's stack, and the test fails even where the app answered that with a 500."""
    noted = NotedBlockingCalls()
    logging.getLogger().addHandler(noted)
    buster = refusing_blocking_calls(SERVICE, may_block)
    buster.activate()
    try:
        yield
    finally:
        buster.deactivate()
        logging.getLogger().removeHandler(noted)
    assert not noted.calls, f"the service blocked the event loop: {noted.calls[0]} (its stack: the log above)"
