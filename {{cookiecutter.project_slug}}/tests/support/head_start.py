"""Work a test needs that is slow only to start, such as processes that spend their time importing
the app: begun on a thread once the run's first test has its fixtures (the database migrated, which
every test then waits for), so it proceeds on the core the test process leaves idle while the tests
before it run. The test then waits for what is left, and sees exactly what it would have seen had
it started the work itself."""

import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

_WORK: dict[str, Callable[[], Any]] = {}  # by the name of the fixture that hands the result on
_DUE: list[str] = []  # work some collected test needs, not begun yet
_BEGUN: dict[str, Future[Any]] = {}
_THREADS = ThreadPoolExecutor(thread_name_prefix="head-start")


def head_start(fixture: str) -> Callable[[Callable[[], T]], Callable[[], T]]:
    """Register `work` to begin early for the tests that use `fixture`; the fixture returns
    `result_of(fixture)`. The work must depend on nothing a test may change: it runs alongside them."""

    def register(work: Callable[[], T]) -> Callable[[], T]:
        _WORK[fixture] = work
        return work

    return register


def result_of(fixture: str) -> Any:
    """What the work registered for `fixture` returned (or raised), begun early or, when it was not,
    now."""
    if fixture in _DUE:
        _DUE.remove(fixture)
    begun = _BEGUN.pop(fixture, None)
    return begun.result() if begun is not None else _WORK[fixture]()


def pytest_collection_finish(session: pytest.Session) -> None:
    # Under pytest-xdist every worker collects every test and the cores are busy already: each
    # worker's fixture does the work when (and if) one of its tests needs it.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for fixture in _WORK:
        if any(fixture in getattr(item, "fixturenames", ()) for item in session.items):
            _DUE.append(fixture)


def pytest_runtest_call(item: pytest.Item) -> None:
    while _DUE:
        fixture = _DUE.pop()
        _BEGUN[fixture] = _THREADS.submit(_WORK[fixture])


def pytest_unconfigure(config: pytest.Config) -> None:
    _THREADS.shutdown(wait=True, cancel_futures=True)  # nothing begun outlives the run
