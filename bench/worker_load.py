"""One worker under offered load: the asyncpg bake's `worker` (its defaults: JOBS_CONCURRENCY 5,
LISTEN/NOTIFY wake-up, no webhook: each job logs) against a database of its own, offered
transfer.completed jobs at a fixed rate, committed rows as a transfer's enqueue leaves them. Read
from pgqueuer's log: throughput, and the enqueue-to-start latency (a job's commit to its 'picked'
entry)."""

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from . import bake, database, load, proxy, server
from .errors import BenchError

RATES = (1, 100, 1000)  # jobs offered per second
OFFERED_SECONDS = {1: 10, 100: 5, 1000: 5}
TICK_S = 0.01  # rates above 1/TICK_S are offered as a few rows per tick, one statement each
DRAIN_S = 120.0
ENQUEUE = (
    "INSERT INTO pgqueuer (priority, entrypoint, payload, status)"
    " SELECT 0, 'transfer.completed', convert_to(json_build_object('transfer_id', n,"
    " 'from_account_id', 1, 'to_account_id', 2, 'amount_cents', 5)::text, 'UTF8'), 'queued'"
    " FROM generate_series(1, %s) AS n RETURNING id, created"
)


@dataclass(frozen=True)
class Offered:
    enqueued: dict[int, float]  # job id -> commit time (epoch seconds, the server's clock)
    seconds: float


def measure(bin_dir: Path, root: Path, db_server: str, work: Path) -> list[dict[str, Any]]:
    """Each of RATES in turn, against one worker started once on a fresh migrated database."""
    name = database.new_name("worker")
    url = database.create(db_server, name)
    try:
        bake.run([str(bin_dir / "migrate")], root, "migrating for the worker", DATABASE_URL=url)
        port = proxy.free_port()
        env = bake.clean_env(
            DATABASE_URL=url, ENVIRONMENT="production", LOG_LEVEL="WARNING", WORKER_PORT=str(port)
        )
        ready = f"http://127.0.0.1:{port}/health/ready"
        with server.serving([str(bin_dir / "worker")], root, env, ready, work / "worker.log") as pid:
            return [measure_rate(url, rate, pid) for rate in RATES]
    finally:
        database.drop(db_server, name)


def measure_rate(url: str, rate: int, pid: int) -> dict[str, Any]:
    cpu_before = load.process_cpu_seconds(pid)
    offered = offer(url, rate, OFFERED_SECONDS[rate])
    picked, finished = drained(url, list(offered.enqueued))
    cpu = load.process_cpu_seconds(pid) - cpu_before
    waits_ms = sorted(1000 * (picked[job] - enqueued) for job, enqueued in offered.enqueued.items())
    jobs = len(offered.enqueued)
    span = finished - min(offered.enqueued.values())
    return {
        "offered_per_s": rate,
        "jobs": jobs,
        "offered_s": round(offered.seconds, 2),
        "done_per_s": round(jobs / span, 1) if span > 0 else None,
        "start_p50_ms": round(statistics.median(waits_ms), 2),
        "start_p99_ms": round(waits_ms[min(jobs - 1, round(0.99 * (jobs - 1)))], 2),
        "start_max_ms": round(waits_ms[-1], 2),
        "worker_cpu_ms_per_job": round(1000 * cpu / jobs, 3),
    }


def offer(url: str, rate: int, seconds: int) -> Offered:
    """`rate` jobs a second for `seconds`, each tick's in one committed statement."""
    total = rate * seconds
    tick = max(TICK_S, 1 / rate)
    per_tick = max(1, round(rate * tick))
    enqueued: dict[int, float] = {}
    with psycopg.connect(url, autocommit=True) as connection:
        started = time.monotonic()
        ticks = 0
        while len(enqueued) < total:
            time.sleep(max(0.0, started + ticks * tick - time.monotonic()))
            rows = connection.execute(ENQUEUE, (min(per_tick, total - len(enqueued)),)).fetchall()
            enqueued.update((int(job), created.timestamp()) for job, created in rows)
            ticks += 1
        return Offered(enqueued, time.monotonic() - started)


def drained(url: str, jobs: list[int]) -> tuple[dict[int, float], float]:
    """Once every job is done: when each was picked, and when the last one finished."""
    deadline = time.monotonic() + DRAIN_S
    with psycopg.connect(url, autocommit=True) as connection:
        while True:
            row = connection.execute("SELECT count(*) FROM pgqueuer WHERE id = ANY(%s)", (jobs,)).fetchone()
            if row is not None and row[0] == 0:
                break
            if time.monotonic() > deadline:
                left = row[0] if row else "?"
                raise BenchError(f"the worker left {left} jobs undone after {DRAIN_S:.0f} s")
            time.sleep(0.05)
        logged = connection.execute(
            "SELECT job_id, status::text, extract(epoch FROM created)::float8 FROM pgqueuer_log"
            " WHERE job_id = ANY(%s) AND status IN ('picked', 'successful')",
            (jobs,),
        ).fetchall()
    picked = {int(job): at for job, status, at in logged if status == "picked"}
    finished = max(at for _, status, at in logged if status == "successful")
    if len(picked) != len(jobs):
        raise BenchError(f"pgqueuer's log lacks the 'picked' entry of {len(jobs) - len(picked)} jobs")
    return picked, finished
