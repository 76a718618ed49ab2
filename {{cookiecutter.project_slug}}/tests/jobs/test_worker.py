"""`worker` in a process of its own runs committed jobs, logs each with its job id, kind, subject and
enqueuing request id, parks a job that always fails as dead after JOBS_MAX_ATTEMPTS while the others
keep flowing, and on SIGTERM stops and exits 0."""

import asyncio
import json
import os
import secrets
import signal
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.polling import eventually
from ..support.processes import BIN
from ..support.protocols import Sql

WORKER = BIN / "worker"


def job_row(kind: str, payload: dict[str, Any], request_id: str) -> str:
    """A committed job, as the enqueue of a transaction that committed leaves it."""
    body = json.dumps(payload).replace("'", "''")
    headers = json.dumps({"request_id": request_id})
    return (
        "INSERT INTO pgqueuer (priority, entrypoint, payload, headers, status)"
        f" VALUES (0, '{kind}', convert_to('{body}', 'UTF8'), '{headers}', 'queued') RETURNING id"
    )


def transfer_payload(transfer_id: int) -> dict[str, int]:
    return {"transfer_id": transfer_id, "from_account_id": 1, "to_account_id": 2, "amount_cents": 5}


@pytest.fixture
def log_file() -> Iterator[Path]:
    path = Path(f"/tmp/worker-{secrets.token_hex(6)}.log")  # noqa: S108 (a private name, removed after)
    yield path
    path.unlink(missing_ok=True)


@pytest.fixture
async def worker(database_url: str, log_file: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "JOBS_MAX_ATTEMPTS": "2",
        "JOBS_RETRY_DELAY": "0.05",
        "JOBS_POLL_INTERVAL": "0.2",
    }
    with log_file.open("wb") as output:
        process = await asyncio.to_thread(
            subprocess.Popen, [WORKER], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        await asyncio.to_thread(process.wait, 30)


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


def lines(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


async def test_worker_runs_committed_jobs_parks_dead_ones_and_stops_on_sigterm(
    worker: subprocess.Popen[bytes], log_file: Path, live_sql: Sql
) -> None:
    subject = secrets.randbelow(10**9) + 10**9
    request_id = f"req-{secrets.token_hex(4)}"
    # A payload its kind refuses fails on every run: it must end dead, not lost, not retried forever.
    ((bad,),) = await live_sql(job_row("transfer.completed", {"transfer_id": "x"}, request_id))
    ((good,),) = await live_sql(job_row("transfer.completed", transfer_payload(subject), request_id))

    def webhook_line() -> dict[str, Any] | None:
        return next(
            (
                line
                for line in lines(log_file)
                if line["message"] == "webhook transfer.completed" and line.get("job_id") == good
            ),
            None,
        )

    async def ran() -> dict[str, Any] | None:
        assert worker.poll() is None, tail(log_file)
        return webhook_line()

    assert await eventually(ran, within=30), tail(log_file)
    line = webhook_line()
    assert line is not None
    assert (line["kind"], line["subject"], line["request_id"]) == (
        "transfer.completed",
        str(subject),
        request_id,
    )

    async def dead() -> bool:
        rows = await live_sql(f"SELECT status, attempts FROM pgqueuer WHERE id = {bad}")
        return rows == [("failed", 1)]

    assert await eventually(dead, within=30), await live_sql(
        f"SELECT status, attempts FROM pgqueuer WHERE id = {bad}"
    )
    failures = [line for line in lines(log_file) if line["message"] == "job failed" and line["job_id"] == bad]
    assert [failure["attempt"] for failure in failures] == [1, 2]

    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 30) == 0
