"""Checks every test gets for free, whatever the driver: nothing a test does may outlive it."""

import asyncio
import gc
import logging
import re
import time
from collections.abc import AsyncIterator

import pytest

from .postgres import CONTRACT_TABLES
from .protocols import Sql


@pytest.fixture(autouse=True)
async def no_rows_left_behind(live_sql: Sql) -> AsyncIterator[None]:
    yield
    counts = " + ".join(f"(SELECT count(*) FROM {table})" for table in CONTRACT_TABLES)
    [(left,)] = await live_sql(f"SELECT {counts}")
    assert left == 0, f"{left} committed row(s) left behind"


# Seconds one step on the event loop may take before it counts as blocking. A blocking wait (a sync
# driver call, time.sleep) shows at any limit once it is slow; below ~0.25 s a cold code path on a
# loaded two-core CI runner trips it too, which would teach people to ignore the guard.
SLOW_CALLBACK = 0.25
TOOK = re.compile(r"^Executing (?P<what>.*) took (?P<seconds>[0-9.]+) seconds$", re.DOTALL)


class SlowCallbacks(logging.Handler):
    """Collects asyncio's debug-mode reports of steps that ran over SLOW_CALLBACK, less the time the
    garbage collector paused them: a full collection in a big test process is not the app blocking."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reports: list[str] = []
        self.pauses: list[tuple[float, float]] = []
        self._started = 0.0

    def on_gc(self, phase: str, _: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((self._started, time.perf_counter()))

    def emit(self, record: logging.LogRecord) -> None:
        report = TOOK.match(record.getMessage())
        # The test's own steps (starting hundreds of requests at once, say) are not the app's code.
        if report is None or "coro=<test_" in report["what"]:
            return
        end = time.perf_counter()
        start = end - float(report["seconds"])
        paused = sum(max(0.0, min(end, b) - max(start, a)) for a, b in self.pauses)
        if end - start - paused > SLOW_CALLBACK:
            self.reports.append(f"{report['what'][:300]} took {end - start - paused:.3f} s")


@pytest.fixture(autouse=True)
async def event_loop_never_blocked() -> AsyncIterator[None]:
    """Fail a test in which one step on the event loop ran over SLOW_CALLBACK: a blocking call, such
    as a sync database driver called from async code. Many short steps (a busy loop) are fine."""
    loop = asyncio.get_running_loop()
    slow = SlowCallbacks()
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(slow)
    gc.callbacks.append(slow.on_gc)
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK
    try:
        yield
    finally:
        loop.set_debug(False)
        gc.callbacks.remove(slow.on_gc)
        asyncio_logger.removeHandler(slow)
    assert not slow.reports, f"the event loop was blocked: {slow.reports[0]}"
