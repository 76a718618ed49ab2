"""Workers in processes of their own, as `uv run worker` starts them, and what they log: the
`start_worker` fixture."""

import asyncio
import json
import os
import secrets
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .processes import BIN

WORKER = BIN / "worker"
# Settings of every worker a test starts: short waits, so failures retry and leases run out quickly.
QUICK = {
    "ENVIRONMENT": "test",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "JOBS_MAX_ATTEMPTS": "2",
    "JOBS_RETRY_DELAY": "0.05",
    "JOBS_POLL_INTERVAL": "0.2",
}

StartWorker = Callable[..., Awaitable["Worker"]]


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process, self.log = process, log

    def lines(self) -> list[dict[str, Any]]:
        """Its JSON log lines so far."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def running(self) -> bool:
        return self.process.poll() is None

    async def exit_code(self, within: float = 30) -> int:
        return await asyncio.to_thread(self.process.wait, within)


@pytest.fixture
def logs_dir() -> Iterator[Path]:
    path = Path(f"/tmp/workers-{secrets.token_hex(6)}")  # noqa: S108 (a private name, removed after)
    path.mkdir()
    yield path
    for log in path.iterdir():
        log.unlink()
    path.rmdir()


@pytest.fixture
async def start_worker(database_url: str, logs_dir: Path) -> AsyncIterator[StartWorker]:
    """`await start_worker(JOBS_LEASE="1")`: a worker on the test database, killed at the end if
    still running; its output goes to a log file of its own."""
    workers: list[Worker] = []

    async def start(**changes: str) -> Worker:
        log = logs_dir / f"worker-{len(workers)}.log"
        env = {**os.environ, "DATABASE_URL": database_url, **QUICK, **changes}
        with log.open("wb") as output:
            process = await asyncio.to_thread(
                subprocess.Popen, [WORKER], env=env, stdout=output, stderr=subprocess.STDOUT
            )
        workers.append(Worker(process, log))
        return workers[-1]

    try:
        yield start
    finally:
        for worker in workers:
            if worker.running():
                worker.process.kill()
            await asyncio.to_thread(worker.process.wait, 30)
