"""`worker` in a process of its own runs committed jobs, logs each with its job id, kind, subject and
enqueuing request id, parks a job that always fails as dead after JOBS_MAX_ATTEMPTS while the others
keep flowing, counts its retries, runs and the dead jobs in /metrics, and on SIGTERM stops and exits
0."""

import secrets
import signal
from typing import Any

from ..support.polling import eventually
from ..support.probe_kind import KIND
from ..support.protocols import Sql
from ..support.workers import StartWorker, queued


async def test_worker_runs_committed_jobs_parks_dead_ones_and_stops_on_sigterm(
    start_worker: StartWorker, live_sql: Sql
) -> None:
    worker = await start_worker()
    subject = secrets.randbelow(10**9) + 10**9
    request_id = f"req-{secrets.token_hex(4)}"
    # A payload its kind refuses fails on every run: it must end dead, not lost, not retried forever.
    [bad] = await queued(live_sql, payload={"number": "x"}, request_id=request_id)
    [good] = await queued(live_sql, payload={"number": subject}, request_id=request_id)

    def webhook_line() -> dict[str, Any] | None:
        return next(
            (
                line
                for line in worker.lines()
                if line["message"] == f"webhook {KIND}" and line.get("job_id") == good
            ),
            None,
        )

    async def ran() -> dict[str, Any] | None:
        assert worker.running(), worker.tail()
        return webhook_line()

    assert await eventually(ran, within=30), worker.tail()
    line = webhook_line()
    assert line is not None
    assert (line["kind"], line["subject"], line["request_id"]) == (KIND, str(subject), request_id)

    async def dead() -> bool:
        rows = await live_sql(f"SELECT status, attempts FROM pgqueuer WHERE id = {bad}")
        return rows == [("failed", 1)]

    assert await eventually(dead, within=30), await live_sql(
        f"SELECT status, attempts FROM pgqueuer WHERE id = {bad}"
    )
    failures = [line for line in worker.lines() if line["message"] == "job failed" and line["job_id"] == bad]
    assert [failure["attempt"] for failure in failures] == [1, 2]

    figures = await worker.figures()
    [(dead_rows,)] = await live_sql(
        f"SELECT count(*) FROM pgqueuer WHERE status = 'failed' AND entrypoint = '{KIND}'"
    )
    assert figures[("jobs_dead", KIND)] == dead_rows >= 1
    assert figures[("jobs_retries_total", KIND)] == 1  # the first run of two; the last one is dead
    assert figures[("job_run_seconds_count", KIND)] >= 3  # two failed runs, the good job's done one
    assert figures[("jobs_in_flight", KIND)] == 0

    worker.process.send_signal(signal.SIGTERM)
    assert await worker.exit_code() == 0
