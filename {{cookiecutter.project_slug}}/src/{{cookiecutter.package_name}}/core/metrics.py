"""Prometheus metrics at /metrics: request latency from prometheus-fastapi-instrumentator, and the
database pool's figures, read from the driver's `pool_status()` at each scrape."""

from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from prometheus_fastapi_instrumentator import Instrumentator

PATH = "/metrics"
# Help text for the figures drivers report; a driver may report others (they get a generic one).
POOL_FIGURES = {
    "size": "Connections the pool holds open.",
    "checked_out": "Connections lent out to requests right now.",
    "idle": "Open connections waiting in the pool.",
    "overflow": "Connections open beyond DB_POOL_SIZE.",
    "waiters": "Requests waiting for a free connection.",
}


class PoolCollector(Collector):
    """`db_pool_<figure>` gauges, one per figure of `pool_status()`, read when Prometheus scrapes."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        database = getattr(self.app.state, "database", None)
        if database is None:  # before the lifespan opened it, or after it closed it
            return
        for figure, value in database.pool_status().items():
            help_text = POOL_FIGURES.get(figure, f"Database pool: {figure.replace('_', ' ')}.")
            yield GaugeMetricFamily(f"db_pool_{figure}", help_text, value=value)


def install(app: FastAPI) -> None:
    # A registry per app, not the process-wide default: a process may build several apps (tests do),
    # and each must count its own requests and read its own pool.
    registry = CollectorRegistry()
    instrumentator = Instrumentator(excluded_handlers=[PATH], registry=registry)
    instrumentator.instrument(app).expose(app, endpoint=PATH, include_in_schema=False)
    registry.register(PoolCollector(app))
