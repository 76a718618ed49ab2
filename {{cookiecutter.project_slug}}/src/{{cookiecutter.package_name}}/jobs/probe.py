"""The worker's HTTP port (WORKER_PORT) for the orchestrator and Prometheus: /health/live (the process
answers), /health/ready (its queue connection is open and it takes jobs) and /metrics. It serves
nothing else."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import uvicorn
from pgqueuer.ports.driver import Driver
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..core import errors
from ..core.settings import Settings
from .metrics import JobMetrics, queue_figures_query

NOT_TAKING_JOBS = "not_taking_jobs"


@dataclass
class Status:
    metrics: JobMetrics
    stopping: asyncio.Event  # set on SIGTERM
    driver: Driver | None = None  # the queue connection, while it is open


def probe_app(status: Status, read_timeout: float) -> Starlette:
    async def live(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        if status.stopping.is_set():
            return errors.unavailable(errors.DRAINING, "The worker is finishing its jobs in hand.")
        if status.driver is None:
            return errors.unavailable(NOT_TAKING_JOBS, "The worker has no queue connection; it reconnects.")
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        rows = None
        if status.driver is not None:
            # A queue out of reach leaves its figures out of this scrape; the worker's own stay.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(read_timeout):
                    rows = await status.driver.fetch(queue_figures_query())
        status.metrics.read_queue(rows)
        return Response(generate_latest(status.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [Route("/health/live", live), Route("/health/ready", ready), Route("/metrics", metrics)]
    return Starlette(routes=routes)


class ProbeServer(uvicorn.Server):
    """uvicorn without its signal handlers: the worker owns SIGTERM, drains its jobs, then stops this."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving_probe(settings: Settings, status: Status) -> AsyncIterator[None]:
    config = uvicorn.Config(
        probe_app(status, settings.ready_timeout),
        host=settings.host,
        port=settings.worker_port,
        lifespan="off",
        log_config=None,  # the worker's own logging, without uvicorn's start and stop lines
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    server = ProbeServer(config)
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()  # it could not start: its error, or SystemExit
            await asyncio.sleep(0.01)
        yield
    finally:
        server.should_exit = True
        await serving
