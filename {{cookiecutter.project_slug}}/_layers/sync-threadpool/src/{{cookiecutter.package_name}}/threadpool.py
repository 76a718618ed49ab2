"""Sync code on worker threads, so the event loop never waits on a database call.

Each app has its own `WorkerThreads`: one thread per pooled connection, started with the app, and
one slot per thread. A call first waits for a slot, for at most DB_POOL_TIMEOUT (then `PoolBusy`, a
503), and only then takes a thread and a connection, so a queued request holds neither, and an
admitted one never waits for either. A call already running has no time limit here (the server's
statement timeout bounds it) and keeps its slot until its thread is done, even when the request that
made it is cancelled: there are never more calls at work than connections, and a request's session
is closed only after its thread has let go of it.

These are not AnyIO's default worker threads, whose limit is one per event loop: every app started on
one loop (tests start several) has threads of its own, and other sync code (FastAPI's sync
dependencies, plain `def` routes) keeps the default ones to itself.
"""

import asyncio
import contextlib
import contextvars
import functools
import logging
import queue
import threading
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Protocol, Self, TypeVar

import anyio
import anyio.to_thread
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# Keys in Session.info: the app's WorkerThreads, and the call the session's request has running.
THREADS = "worker_threads"
RUNNING = "worker_call"

Call = tuple["asyncio.Future[Any]", contextvars.Context, Callable[[], Any]]


class PoolBusy(sa_exc.TimeoutError):
    """No worker thread, and so no connection, came free within DB_POOL_TIMEOUT: a 503 like the
    pool's own timeout."""


class WorkerThreads:
    """`capacity` threads that run blocking calls, admitted in arrival order. Use as `async with`."""

    def __init__(self, capacity: int, timeout: float) -> None:
        self.capacity = capacity
        self.timeout = timeout  # seconds a call may wait for a slot
        self._slots = anyio.CapacityLimiter(capacity)
        self._calls: queue.SimpleQueue[Call | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"db-worker-{n}", daemon=True) for n in range(capacity)
        ]
        self._pending: set[asyncio.Future[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False

    async def __aenter__(self) -> Self:
        self._loop = asyncio.get_running_loop()
        # Started up front, not on demand in the middle of a burst; and not on the loop, since
        # Thread.start() blocks until the new thread runs.
        await anyio.to_thread.run_sync(self._each_thread, threading.Thread.start)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.drain()
        self._stopped = True  # a call admitted from now on would find no thread
        for _ in self._threads:
            self._calls.put(None)
        await anyio.to_thread.run_sync(self._each_thread, threading.Thread.join)

    def _each_thread(self, action: Callable[[threading.Thread], None]) -> None:
        for thread in self._threads:
            action(thread)

    @property
    def busy(self) -> int:
        """Slots taken: calls running on a thread, their requests cancelled or not."""
        return int(self._slots.borrowed_tokens)

    async def start(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> asyncio.Future[T]:
        """Wait for a slot (PoolBusy after `timeout` s), then hand the call to a thread. The slot is
        freed when the thread is done, whatever becomes of the caller."""
        assert self._loop is not None, "WorkerThreads used outside its `async with`"
        slot = object()
        try:
            with anyio.fail_after(self.timeout):
                await self._slots.acquire_on_behalf_of(slot)
        except TimeoutError:
            raise PoolBusy(
                f"no worker thread free within {self.timeout:g} s ({self.capacity} in all)"
            ) from None
        if self._stopped:
            self._slots.release_on_behalf_of(slot)
            raise PoolBusy("the worker threads have stopped: the app is shutting down")
        job: asyncio.Future[T] = self._loop.create_future()
        job.add_done_callback(lambda _: self._slots.release_on_behalf_of(slot))
        self.track(job)
        # A slot per thread, so a thread is free (or about to be) to take it at once.
        self._calls.put((job, contextvars.copy_context(), functools.partial(function, *args, **kwargs)))
        return job

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Start the call and wait for its result. Cancelling the wait does not stop the thread."""
        return await asyncio.shield(await self.start(function, *args, **kwargs))

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """A task that outlives its caller if it must; `drain` waits for it."""
        task = asyncio.ensure_future(coroutine)
        self.track(task)
        return task

    def track(self, future: "asyncio.Future[Any]") -> None:
        self._pending.add(future)
        future.add_done_callback(self._finished)

    def _finished(self, future: "asyncio.Future[Any]") -> None:
        self._pending.discard(future)
        # Retrieve the outcome, so a call whose caller stopped waiting is not reported as an error
        # nobody saw; its transaction has rolled back and its client is gone.
        if not future.cancelled() and (error := future.exception()) is not None:
            logger.debug("a worker call nobody waited for failed: %s", type(error).__name__)

    async def drain(self) -> None:
        """Wait for every call and deferred close still running, e.g. before disposing the engine."""
        while self._pending:
            await asyncio.wait(set(self._pending))

    def _work(self) -> None:
        while (call := self._calls.get()) is not None:
            job, context, function = call
            try:
                outcome: tuple[Any, BaseException | None] = (context.run(function), None)
            except BaseException as error:  # the caller's to handle, on the loop
                outcome = (None, error)
            assert self._loop is not None
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is left to tell
                self._loop.call_soon_threadsafe(_settle, job, *outcome)
            del call, job, outcome  # no reference to a result outlives its call


def _settle(job: "asyncio.Future[Any]", result: Any, error: BaseException | None) -> None:
    if job.cancelled():
        return
    if error is not None:
        job.set_exception(error)
    else:
        job.set_result(result)


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
        if isinstance(owner, Session):
            threads: WorkerThreads | None = owner.info.get(THREADS)
            if threads is None:
                raise TypeError("a session for in_threadpool comes from Database.session() (or get_db)")
            job = await threads.start(function, owner, *args, **kwargs)
            owner.info[RUNNING] = job
        else:
            job = await owner.threads.start(function, owner, *args, **kwargs)
        return await asyncio.shield(job)

    return run


async def close_session(session: Session) -> None:
    """End of a request's session. Never waits for a slot, so it cannot starve."""
    job: asyncio.Future[Any] | None = session.info.pop(RUNNING, None)
    threads: WorkerThreads = session.info[THREADS]
    if job is not None and not job.done():
        # The request was cancelled while its thread ran: close once the thread is done, without
        # holding up the cancellation.
        threads.spawn(_close_after(job, session))
    elif session.in_transaction():
        # A transaction left open: its rollback is I/O, so on a thread, finished even if cancelled.
        await asyncio.shield(threads.spawn(_close_after(None, session)))
    else:
        session.close()  # no transaction, so no connection: nothing to send


async def _close_after(job: "asyncio.Future[Any] | None", session: Session) -> None:
    if job is not None:
        await asyncio.wait([job])
    if session.in_transaction():
        # A limiter of its own, like FastAPI's for sync teardown: a close never queues behind calls.
        await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
    else:
        session.close()
