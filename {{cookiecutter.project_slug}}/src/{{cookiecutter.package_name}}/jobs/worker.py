"""The worker: runs every known kind of job with pgqueuer, from the same code and image as the app.

At least once: a job is marked done only after its handler returns. A claimed job's heartbeat is
its lease; a worker that dies stops beating and, after JOBS_LEASE, another worker takes the job
again. A failure is retried with exponential backoff from JOBS_RETRY_DELAY; after JOBS_MAX_ATTEMPTS
runs the job stays in the queue table as 'failed' (dead), listed and replayable, never dropped.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.core.executors import (
    AbstractEntrypointExecutor,
    DatabaseRetryEntrypointExecutor,
    EntrypointExecutorParameters,
)
from pgqueuer.core.qm import QueueManager
from pgqueuer.domain.models import Job
from pgqueuer.ports.driver import Driver

from ..core.logs import REQUEST_ID
from ..core.settings import Settings
from ..db import Database, open_database
from .kinds import KINDS, Kind, Kinds, Run
from .metrics import JobMetrics
from .probe import Status, serving_probe
from .queue_driver import LOST, open_queue_driver

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Means:
    """What every run of this worker shares: opened once, handed to each handler in its `Run`."""

    database: Database
    http: httpx.AsyncClient
    settings: Settings
    metrics: JobMetrics


def runner(kinds: Kinds, kind: Kind[Any], means: Means) -> Callable[[Job], Awaitable[None]]:
    async def run(job: Job) -> None:
        request_id = (job.headers or {}).get("request_id")
        # Every line the handler logs carries the id of the request that enqueued the job.
        REQUEST_ID.set(None if request_id is None else str(request_id))
        attempt = job.attempts + 1
        fields: dict[str, object] = {"job_id": job.id, "kind": kind.name, "attempt": attempt}
        metrics = means.metrics
        metrics.in_flight.labels(kind.name).inc()
        started = time.perf_counter()
        try:
            payload = kinds.load(kind.name, job.payload)  # a payload its kind refuses fails the run
            fields["subject"] = payload.subject
            await kind.handler(
                Run(
                    id=int(job.id),
                    kind=kind.name,
                    attempt=attempt,
                    request_id=REQUEST_ID.get(),
                    payload=payload,
                    database=means.database,
                    http=means.http,
                    settings=means.settings,
                )
            )
        except Exception:
            seconds = time.perf_counter() - started
            metrics.run_seconds.labels(kind.name, "failed").observe(seconds)
            if attempt < means.settings.jobs_max_attempts:
                metrics.retries.labels(kind.name).inc()
            logger.warning("job failed", extra={**fields, "seconds": round(seconds, 6)}, exc_info=True)
            raise
        finally:
            metrics.in_flight.labels(kind.name).dec()
        seconds = time.perf_counter() - started
        metrics.run_seconds.labels(kind.name, "done").observe(seconds)
        logger.info("job done", extra={**fields, "seconds": round(seconds, 6)})

    return run


def retrying(settings: Settings) -> Callable[[EntrypointExecutorParameters], AbstractEntrypointExecutor]:
    def executor(parameters: EntrypointExecutorParameters) -> AbstractEntrypointExecutor:
        # pgqueuer counts the retries after the first run; the setting counts runs.
        return DatabaseRetryEntrypointExecutor(
            parameters=parameters,
            max_attempts=settings.jobs_max_attempts - 1,
            initial_delay=timedelta(seconds=settings.jobs_retry_delay),
            max_delay=timedelta(seconds=settings.jobs_retry_max_delay),
        )

    return executor


async def work(settings: Settings, stopping: asyncio.Event, kinds: Kinds = KINDS) -> None:
    """Run jobs until `stopping` is set, then stop claiming, let the jobs in hand finish and return.
    A lost database connection is opened again, after a pause, without leaving. WORKER_PORT serves
    readiness and metrics from before the first job until the last one in hand has finished."""
    status = Status(JobMetrics(kind.name for kind in kinds), stopping)
    async with (
        serving_probe(settings, status),
        open_database(settings) as database,
        httpx.AsyncClient(timeout=settings.webhook_timeout, follow_redirects=False) as http,
    ):
        means = Means(database, http, settings, status.metrics)
        while not stopping.is_set():
            try:
                await run_queue(kinds, means, status)
            except LOST as error:
                logger.warning("queue connection lost (%s); reconnecting", type(error).__name__)
                await wait_or_stop(stopping, settings.jobs_poll_interval)


async def run_queue(kinds: Kinds, means: Means, status: Status) -> None:
    settings, stopping = means.settings, status.stopping
    async with open_queue_driver(settings) as driver, taking_jobs(status, driver):
        manager = QueueManager(Queries(driver))
        for kind in kinds:
            manager.entrypoint(kind.name, on_failure="hold", executor_factory=retrying(settings))(
                runner(kinds, kind, means)
            )
        relay = asyncio.create_task(relay_stop(stopping, manager.shutdown))
        try:
            logger.info(
                "worker started",
                extra={"kinds": sorted(kind.name for kind in kinds), "wake_up": wake_up(settings)},
            )
            await manager.run(
                # LISTEN/NOTIFY wakes the worker at once on a direct connection; behind PgBouncer in
                # transaction mode notifications do not arrive and this poll is what finds new jobs.
                dequeue_timeout=timedelta(seconds=settings.jobs_poll_interval),
                batch_size=settings.jobs_concurrency,
                max_concurrent_tasks=2 * settings.jobs_concurrency,
                heartbeat_timeout=timedelta(seconds=settings.jobs_lease),
            )
        finally:
            relay.cancel()


def wake_up(settings: Settings) -> str:
    return "polling" if settings.db_pgbouncer else "listen/notify"


@contextlib.asynccontextmanager
async def taking_jobs(status: Status, driver: Driver) -> AsyncIterator[None]:
    """Ready while the queue connection is open."""
    status.driver = driver
    try:
        yield
    finally:
        status.driver = None


async def relay_stop(stopping: asyncio.Event, shutdown: asyncio.Event) -> None:
    await stopping.wait()
    shutdown.set()


async def wait_or_stop(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
