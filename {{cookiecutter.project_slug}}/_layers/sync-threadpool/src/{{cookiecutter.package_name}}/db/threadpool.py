"""Sync code on worker threads, so the event loop never waits on a database call.

Each app has its own `WorkerThreads`: the standard library's `ThreadPoolExecutor`, one thread per
pooled connection, all started with the app. Its queue is the order of admission, first come first
served. A queued call holds neither a thread nor a connection, and is dropped if no thread takes it
within DB_POOL_TIMEOUT (then `PoolBusy`, a 503); a call a thread has taken always finds a free
connection. A running call has no time limit here (the server's statement timeout bounds it) and,
as a thread cannot be stopped, keeps its thread until it ends, even when the request that made it
is cancelled: there are never more calls at work than connections, and a request's session is
closed only after its thread has let go of it.

Not AnyIO's worker threads: their limit is one per event loop, shared by every app started on it
(tests start several) and by other sync code (FastAPI's sync dependencies, plain `def` routes); and
a call on them either holds up its caller's cancellation until it ends or gives its slot back while
its thread still runs.
"""

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Protocol, Self, TypeVar

import anyio.to_thread
from sqlalchemy.orm import Session

from ..core.errors import PoolBusy

P = ParamSpec("P")
T = TypeVar("T")

# Keys in Session.info: the app's WorkerThreads, and the last call the session's request made.
THREADS = "worker_threads"
RUNNING = "worker_call"


class WorkerThreads:
    """`capacity` threads that run blocking calls in arrival order. Use as `async with`."""

    def __init__(self, capacity: int, timeout: float) -> None:
        self.capacity = capacity
        self.timeout = timeout  # seconds a call may wait for a thread
        self._calls = ThreadPoolExecutor(max_workers=capacity, thread_name_prefix="db-worker")
        # Rollbacks of transactions left open, apart from the calls so that they never queue
        # behind them. Threads start only when one is needed.
        self._closes = ThreadPoolExecutor(max_workers=capacity, thread_name_prefix="db-close")
        self._busy = 0
        self._busy_lock = threading.Lock()
        # Requests that keep a connection between their calls (an Idempotency-Key's transaction):
        # fewer than the threads, so a thread that takes a call always has a connection to get.
        self._holders = asyncio.Semaphore(max(1, capacity - 1))

    async def __aenter__(self) -> Self:
        # Started up front, not on demand in the middle of a burst; and not on the loop, since
        # Thread.start() blocks until the new thread runs.
        await anyio.to_thread.run_sync(self._start_threads)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        # Waits for the calls whose requests were cancelled, then for the closes they handed on; a
        # call made from now on is refused.
        await anyio.to_thread.run_sync(self._stop_threads)

    def _start_threads(self) -> None:
        # Each call waits for all the others, so each needs a thread of its own: the executor starts
        # them all. Should one fail to start, abort() lets the others go, or they would never end.
        everyone = threading.Barrier(self.capacity)
        try:
            for started in [self._calls.submit(everyone.wait) for _ in range(self.capacity)]:
                started.result()
        finally:
            everyone.abort()

    def _stop_threads(self) -> None:
        self._calls.shutdown()
        self._closes.shutdown()

    @contextlib.asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """A turn to keep a connection between calls, first come first served; PoolBusy if none
        comes within `timeout` s. Without it, a burst of such requests could take every connection
        while every thread waited on the pool for one that only their queued calls would give back."""
        try:
            async with asyncio.timeout(self.timeout):
                await self._holders.acquire()
        except TimeoutError:
            raise PoolBusy(f"no connection free to hold within {self.timeout:g} s") from None
        try:
            yield
        finally:
            self._holders.release()

    @property
    def busy(self) -> int:
        """Threads running a call, its request cancelled or not."""
        return self._busy

    def submit(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue the call for the next free thread, behind those already waiting; `result` waits
        for it."""
        call = functools.partial(function, *args, **kwargs)
        try:
            return self._calls.submit(self._work, contextvars.copy_context(), call)
        except RuntimeError:  # the executor is shut down
            raise PoolBusy("the worker threads have stopped: the app is shutting down") from None

    def _work(self, context: contextvars.Context, call: Callable[[], T]) -> T:
        # On a worker thread, in the caller's context (the request id its logs carry).
        with self._busy_lock:
            self._busy += 1
        try:
            return context.run(call)
        finally:
            with self._busy_lock:
                self._busy -= 1

    async def result(self, call: Future[T]) -> T:
        """The call's result, once a thread has run it; PoolBusy if none takes it within `timeout`
        s. A caller that stops waiting drops a queued call, but not one a thread has taken."""
        outcome = asyncio.wrap_future(call)
        try:
            async with asyncio.timeout(self.timeout):
                # Shielded, so that the timeout ends this wait but not the outcome of a call a
                # thread has already taken: that one is waited for below.
                return await asyncio.shield(outcome)
        except TimeoutError:
            if call.cancel():  # still queued: it never runs
                raise PoolBusy(
                    f"no worker thread free within {self.timeout:g} s ({self.capacity} in all)"
                ) from None
        except asyncio.CancelledError:
            call.cancel()  # dropped if still queued; a running call's thread goes on to its end
            raise
        return await asyncio.shield(outcome)  # running: no time limit but the statement timeout

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`submit`, then `result`."""
        return await self.result(self.submit(function, *args, **kwargs))

    def end_session(self, session: Session) -> Future[None] | None:
        """Close the session. Without a transaction it holds no connection and closing sends
        nothing; with one left open, closing is a rollback, I/O, so it runs on a thread and the
        Future says when it is done."""
        if session.in_transaction():
            return self._closes.submit(session.close)
        session.close()
        return None


class HasThreads(Protocol):
    threads: WorkerThreads


Owner = TypeVar("Owner", bound=Session | HasThreads)


def in_threadpool(
    function: Callable[Concatenate[Owner, P], T],
) -> Callable[Concatenate[Owner, P], Awaitable[T]]:
    """The awaitable face of a blocking function whose first argument is a session (or the
    database): each call runs on one of that app's worker threads."""

    @functools.wraps(function)
    async def run(owner: Owner, /, *args: P.args, **kwargs: P.kwargs) -> T:
        if not isinstance(owner, Session):
            return await owner.threads.run(function, owner, *args, **kwargs)
        threads: WorkerThreads | None = owner.info.get(THREADS)
        if threads is None:
            raise TypeError("a session for in_threadpool comes from Database.session() (or get_db)")
        call = threads.submit(function, owner, *args, **kwargs)
        owner.info[RUNNING] = call  # for close_session, should the request be cancelled
        return await threads.result(call)

    return run


async def close_session(session: Session) -> None:
    """End of a request's session. Never waits for a worker thread, so it cannot starve."""
    threads: WorkerThreads = session.info[THREADS]
    call: Future[Any] | None = session.info.pop(RUNNING, None)
    if call is not None and not call.done():
        # The request was cancelled while its thread ran: close once the thread is done with the
        # session (the callback runs on that thread), without holding up the cancellation.
        call.add_done_callback(lambda _: threads.end_session(session))
    elif (rollback := threads.end_session(session)) is not None:
        await asyncio.shield(asyncio.wrap_future(rollback))  # finished even if the request is cancelled
