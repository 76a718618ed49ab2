"""Sync code on AnyIO's worker threads, so the event loop never waits on a database call."""

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import anyio.to_thread
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


def in_threadpool(function: Callable[P, T]) -> Callable[P, Awaitable[T]]:
    """The awaitable face of a blocking function: each call runs on a worker thread."""

    @functools.wraps(function)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(function, *args, **kwargs)

    return run


@contextmanager
def thread_limit(tokens: int) -> Iterator[None]:
    """Cap the worker threads of the running event loop; the previous cap comes back on exit.

    The limiter is AnyIO's default one: Starlette's run_in_threadpool and FastAPI's sync
    dependencies all draw from it, so this is the one knob that bounds them together.
    """
    limiter = anyio.to_thread.current_default_thread_limiter()
    previous = limiter.total_tokens
    limiter.total_tokens = tokens
    try:
        yield
    finally:
        limiter.total_tokens = previous
