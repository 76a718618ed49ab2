"""Checks every test gets for free, whatever the driver: nothing a test does may outlive it, and
nothing it runs blocks the event loop."""

import asyncio
import contextlib
import os
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .protocols import Sql

# Seconds the loop's thread may sleep inside its steps between two ticks before it counts as blocked:
# a blocking wait (a sync driver call, time.sleep) on the loop shows at any limit once it is slow.
BLOCKED = 0.25
TICK = 0.01  # how often the loop notes the time; an idle loop sleeps this long in select() at most
STALL = 5 * TICK  # a watchdog wake-up this late means the process, not just the loop, was held up


@pytest.fixture(autouse=True)
async def no_rows_left_behind(live_sql: Sql, service_tables: tuple[str, ...]) -> AsyncIterator[None]:
    """`service_tables` (tests/conftest.py): the tables a test must leave as it found them."""
    yield
    counts = " + ".join(f"(SELECT count(*) FROM {table})" for table in service_tables)
    [(left,)] = await live_sql(f"SELECT {counts}")
    if left:  # cleared, so the test that left them fails alone, not every test after it too
        await live_sql(f"TRUNCATE {', '.join(service_tables)}")
    assert left == 0, f"{left} committed row(s) left behind"


TASKS = Path("/proc/self/task")  # Linux: one folder per thread of this process


def seconds(schedstat: bytes) -> float:
    """Seconds a thread has run on a CPU or waited in the queue for one (Linux schedstat). Time it
    was neither is time it slept: in select(), in a blocking call, or waiting for the GIL."""
    on_cpu, queued, _ = schedstat.split()
    return (int(on_cpu) + int(queued)) / 1e9


def busy_seconds(schedstat: Path) -> float:
    return seconds(schedstat.read_bytes())


class RunningClock:
    """busy_seconds of the thread that made it, from its schedstat file kept open: the loop reads it
    on every tick, a hundred times a second in every test, and reading an open file again costs a
    tenth of opening it. Where Linux does not tell the queue time, only CPU time counts, so a very
    loaded machine may read as sleep."""

    def __init__(self) -> None:
        schedstat = TASKS / str(threading.get_native_id()) / "schedstat"
        self._file = os.open(schedstat, os.O_RDONLY) if schedstat.exists() else None

    def __call__(self) -> float:
        if self._file is None:
            return time.thread_time()
        return seconds(os.pread(self._file, 128, 0))

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)


def other_threads_busy(loop_thread: int) -> dict[str, float]:
    """busy_seconds of every other thread of this process, by thread id ({} off Linux)."""
    busy = {}
    with contextlib.suppress(OSError):
        for task in TASKS.iterdir():
            if task.name != str(loop_thread):
                with contextlib.suppress(OSError, ValueError):  # a thread that ended meanwhile
                    busy[task.name] = busy_seconds(task / "schedstat")
    return busy


class LoopWatch:
    """A lag monitor for the running loop that tells a blocked loop from a starved process. The
    loop ticks every TICK s; a watchdog thread wakes every TICK s too. A gap between ticks counts
    only when all hold: the loop's thread slept through it (not on a CPU, not queued for one); the
    process's other threads were not busy for as long meanwhile (while the loop's thread waits for
    the GIL, the thread holding it runs or is queued to); and the watchdog woke on time all along,
    so the process had CPU and GIL and only the loop was stuck. On a loaded machine everything is
    late together, and a sync driver's busy worker threads keep the loop waiting for the GIL:
    neither is the app blocking the loop. The price: a blocking call made while the process's other
    threads are as busy goes unseen; the guard's own test makes its call in a quiet process.
    The watchdog keeps the stuck thread's stack, to name the call; it also notes when the loop
    stopped running (between a test's fixtures and its body, where sync code is no step of it)."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.thread_id = threading.get_ident()
        self.native_id = threading.get_native_id()
        self.clock = RunningClock()
        self.reports: list[str] = []
        self.held_up = 0  # times the watchdog itself woke late: the process, not the loop, was stuck
        self.excused = 0  # long sleeps in a step put down to the other threads being busy meanwhile
        self._last = (time.perf_counter(), self.clock())
        self._stuck_at: list[str] | None = None
        # Once a step runs long: when the step began, the other threads' busy seconds then, and as
        # last seen since (a thread may end before the step does; its time still counts).
        self._long_step: tuple[float, dict[str, float], dict[str, float]] | None = None
        self._loop_stopped = False
        self._stopped = threading.Event()
        self._handle = self.loop.call_later(TICK, self._tick)
        self._watchdog = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)
        self._watchdog.start()

    def _tick(self) -> None:
        now, running = time.perf_counter(), self.clock()
        last_now, last_running = self._last
        slept = (now - last_now) - (running - last_running) - TICK
        blocked = slept > BLOCKED and self._stuck_at is not None and not self._loop_stopped
        if blocked and slept - self._others_busy_in_this_step() > BLOCKED:
            where = "".join(self._stuck_at or [])
            self.reports.append(f"its thread slept {slept:.3f} s in a step, here:\n{where}")
        elif blocked:
            self.excused += 1
        self._last, self._stuck_at, self._loop_stopped = (now, running), None, False
        self._long_step = None
        self._handle = self.loop.call_later(TICK, self._tick)

    def _watch(self) -> None:
        due, on_time_since = time.perf_counter() + TICK, self._last[0]
        while not self._stopped.wait(max(0.0, due - time.perf_counter())):
            now = time.perf_counter()
            if now - due > STALL:  # the watchdog itself was held up: the whole process was
                on_time_since = now
                self.held_up += 1
            due = now + TICK
            last_tick = self._last[0]
            if not self.loop.is_running():
                self._loop_stopped = True
                continue
            if now - last_tick > 2 * TICK:
                self._note_other_threads(last_tick)
            if now - last_tick > BLOCKED and on_time_since <= last_tick and self._stuck_at is None:
                frame = sys._current_frames().get(self.thread_id)
                self._stuck_at = traceback.format_stack(frame)[-8:] if frame else ["(no stack)\n"]

    def _note_other_threads(self, step_began: float) -> None:
        busy = other_threads_busy(self.native_id)
        long_step = self._long_step
        if long_step is None or long_step[0] != step_began:  # the first look in this step
            self._long_step = (step_began, busy, {})
        else:
            self._long_step = (step_began, long_step[1], long_step[2] | busy)

    def _others_busy_in_this_step(self) -> float:
        """Seconds the process's other threads were busy since the step ran long: a thread that
        ended meanwhile counts up to the watchdog's last look at it, one that began counts whole."""
        long_step = self._long_step
        if long_step is None or long_step[0] != self._last[0]:
            return 0.0
        _, before, seen = long_step
        after = seen | other_threads_busy(self.native_id)
        return sum(max(0.0, busy - before.get(thread, 0.0)) for thread, busy in after.items())

    def stop(self) -> None:
        self._handle.cancel()
        self._stopped.set()
        self._watchdog.join()
        self.clock.close()


@contextlib.asynccontextmanager
async def watching_the_loop() -> AsyncIterator[LoopWatch]:
    watch = LoopWatch()
    try:
        yield watch
    finally:
        watch.stop()


@pytest.fixture(autouse=True)
async def event_loop_never_blocked() -> AsyncIterator[None]:
    """Fail a test during which the event loop's thread slept in a step for over BLOCKED s: a
    blocking call, such as a sync database driver called from async code. Busy steps are fine,
    and so is a machine too loaded to run anything on time."""
    async with watching_the_loop() as watch:
        yield
    assert not watch.reports, f"the event loop was blocked: {watch.reports[0]}"
