"""A target's uvicorn process during one pass. A run may leave it stuck (see stall.py): it is then
killed, since its requests would never end and asking it to stop would only wait out the stop
timeout, and started again, on the same database copy, before its next run."""

import contextlib
import os
import signal
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Live(Generic[T]):
    target: T
    base: str
    database: str  # the name of the database copy it is served on
    params: dict[str, object]
    # Serves the target until its block ends, yielding the pid; told how many times it ran before.
    launch: Callable[[int], AbstractContextManager[int]]
    pid: int = 0  # 0 while not running
    starts: int = 0
    _process: ExitStack = field(default_factory=ExitStack)

    @property
    def running(self) -> bool:
        return self.pid != 0

    @property
    def probe_url(self) -> str:
        """One read every target serves: the first seeded item."""
        return f"{self.base}/items/{self.params['item_low']}"

    def start(self) -> None:
        self.pid = self._process.enter_context(self.launch(self.starts))
        self.starts += 1

    def stop(self) -> None:
        self._process.close()
        self.pid = 0

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.stop()
