"""Workers in processes of their own, as `uv run worker` starts them (with the probe's kind of job
added), what they log and what their HTTP port (WORKER_PORT) answers: the `start_worker` fixture,
and `queued` jobs of the probe's kind."""

import asyncio
import json
import os
import secrets
import socket
import subprocess
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .probe_kind import KIND
from .processes import BIN
from .protocols import Sql

# The project's `worker`, with the probe's kind of job added (probe_kind.py), from the project's root.
WORKER = [str(BIN / "python"), "-m", "tests.support.probe_kind"]
ROOT = Path(__file__).parents[2]
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
    def __init__(self, process: subprocess.Popen[bytes], log: Path, port: int) -> None:
        self.process, self.log = process, log
        self.url = f"http://127.0.0.1:{port}"

    def lines(self) -> list[dict[str, Any]]:
        """Its JSON log lines so far."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.startswith("{")]

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def running(self) -> bool:
        return self.process.poll() is None

    async def exit_code(self, within: float = 30) -> int:
        return await asyncio.to_thread(self.process.wait, within)

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as http:
            return await http.get(path)

    async def figures(self) -> defaultdict[tuple[str, str], float]:
        """Its /metrics: (sample name, kind label) -> value, summed over the other labels."""
        scraped = await self.get("/metrics")
        assert scraped.status_code == 200, scraped.text
        found: defaultdict[tuple[str, str], float] = defaultdict(float)
        for family in text_string_to_metric_families(scraped.text):
            for sample in family.samples:
                if "le" not in sample.labels:  # histogram buckets: their count and sum are enough here
                    found[sample.name, sample.labels.get("kind", "")] += sample.value
        return found


def literal(value: dict[str, Any]) -> str:
    return "'" + json.dumps(value).replace("'", "''") + "'"


async def queued(
    live_sql: Sql,
    jobs: int = 1,
    *,
    url: str | None = None,
    payload: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> list[int]:
    """`jobs` committed jobs of the probe's kind, as a committed change leaves its own, each with
    `payload` (else its number in the batch, posted to `url`) and the enqueuing `request_id`; their ids."""
    if payload is None:
        posted_to = "" if url is None else f", 'url', '{url}'"
        body = f"json_build_object('number', n{posted_to})::text"
    else:
        body = literal(payload)
    headers = "NULL" if request_id is None else literal({"request_id": request_id})
    rows = await live_sql(
        "INSERT INTO pgqueuer (priority, entrypoint, payload, headers, status)"
        f" SELECT 0, '{KIND}', convert_to({body}, 'UTF8'), {headers}, 'queued'"
        f" FROM generate_series(1, {jobs}) AS n RETURNING id"
    )
    return [int(job_id) for (job_id,) in rows]


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
    """`await start_worker(JOBS_LEASE="1")`: a worker on the test database and a free port, killed
    at the end if still running; its output goes to a log file of its own."""
    workers: list[Worker] = []

    async def start(**changes: str) -> Worker:
        log = logs_dir / f"worker-{len(workers)}.log"
        port = unused_port()
        env = {**os.environ, "DATABASE_URL": database_url, "WORKER_PORT": str(port), **QUICK, **changes}
        with log.open("wb") as output:
            process = await asyncio.to_thread(
                subprocess.Popen, WORKER, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        workers.append(Worker(process, log, port))
        return workers[-1]

    try:
        yield start
    finally:
        for worker in workers:
            if worker.running():
                worker.process.kill()
            await asyncio.to_thread(worker.process.wait, 30)
