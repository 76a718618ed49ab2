"""A test that hangs fails (pytest-timeout, `timeout` in pyproject.toml) and says where it waited.

pytest-timeout shows the stacks of threads; a hung async test's thread is only the event loop idling
in select(). So, just before it fails the test, print the stack of every task on the loop: the await
that never finished is there.
"""

import asyncio
import signal
from collections.abc import Generator, Iterator
from types import FrameType
from typing import Any

import pytest


def awaiting(task: asyncio.Task[Any]) -> Iterator[FrameType]:
    """The task's coroutine, then what it awaits, down to the innermost await."""
    step: Any = task.get_coro()
    while step is not None:
        frame = getattr(step, "cr_frame", None) or getattr(step, "gi_frame", None)
        if frame is not None:
            yield frame
        step = getattr(step, "cr_await", None) or getattr(step, "gi_yieldfrom", None)


def show_waiting_tasks(item: pytest.Item) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a sync test, or a hang outside the loop: the thread stacks say it all
        return
    terminal = item.config.get_terminal_writer()
    for task in asyncio.all_tasks(loop):
        terminal.sep("~", f"task {task.get_name()} waits at")
        for frame in awaiting(task):
            code = frame.f_code
            terminal.line(f'  File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}')


@pytest.hookimpl(wrapper=True, optionalhook=True)  # absent under -p no:timeout
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> Generator[None, object, object]:
    installed = yield
    handler = signal.getsignal(signal.SIGALRM)
    if callable(handler):  # pytest-timeout's signal method (the default where signals work)

        def show_then_fail(signum: int, frame: Any) -> None:
            show_waiting_tasks(item)
            handler(signum, frame)

        signal.signal(signal.SIGALRM, show_then_fail)
    return installed
