"""The loop guard every test runs under: a blocking call on the loop is caught and named, while a
step that is merely busy (or waiting for a CPU on a loaded machine) is not."""

import asyncio
import os
import threading
import time
from collections.abc import Callable

from .support.guards import BLOCKED, TICK, watching_the_loop

# A loaded machine can hold the whole process up while `step` runs, or keep the process's other
# threads (the test's own loop and the watchdogs) queued for a CPU about as long as the step sleeps;
# either way the guard rightly stays silent (see guards.LoopWatch), so the blocking call is tried
# again, up to this many times, until the guard had no such reason: that run must catch it.
ATTEMPTS = 10


def reports_during(step: Callable[[], None]) -> tuple[list[str], int]:
    """What the guard reports of `step` run on a loop of its own (not the test's, which it would
    block), and how often meanwhile it had reason to stay silent: the process itself held up, or
    the other threads busy while the loop's thread slept."""

    async def watched() -> tuple[list[str], int]:
        async with watching_the_loop() as watch:
            await asyncio.sleep(TICK * 3)
            step()
            await asyncio.sleep(TICK * 3)
        return watch.reports, watch.held_up + watch.excused

    return asyncio.run(watched())


def sleep_on_the_loop() -> None:
    time.sleep(BLOCKED * 2)  # the kind of call the guard exists for


def keep_the_cpu_busy() -> None:
    deadline = time.perf_counter() + BLOCKED * 2
    while time.perf_counter() < deadline:
        pass


async def test_a_blocking_call_on_the_loop_is_caught_and_named() -> None:
    for _ in range(ATTEMPTS):
        reports, reasons = await asyncio.to_thread(reports_during, sleep_on_the_loop)
        if reports or not reasons:
            break

    assert len(reports) == 1, f"not caught; the guard had {reasons} reason(s) to stay silent in the last try"
    assert "in sleep_on_the_loop" in reports[0]


async def test_a_busy_step_is_not_a_blocked_loop() -> None:
    reports, _ = await asyncio.to_thread(reports_during, keep_the_cpu_busy)

    assert reports == []


def wait_for_the_gil_behind_busy_threads() -> None:
    """Each os.stat lets the GIL go and must queue to take it back behind threads running Python:
    the loop's thread sleeps, as in a blocking call, while the process works. A sync driver's
    worker threads do this to the loop all day; it costs latency, but it blocks nothing."""
    done = threading.Event()

    def run_python() -> None:
        while not done.is_set():
            sum(range(1000))

    threads = [threading.Thread(target=run_python) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.perf_counter() + BLOCKED * 2
        while time.perf_counter() < deadline:
            os.stat(".")
    finally:
        done.set()
        for thread in threads:
            thread.join()


async def test_waiting_for_the_gil_is_not_a_blocked_loop() -> None:
    reports, _ = await asyncio.to_thread(reports_during, wait_for_the_gil_behind_busy_threads)

    assert reports == []
