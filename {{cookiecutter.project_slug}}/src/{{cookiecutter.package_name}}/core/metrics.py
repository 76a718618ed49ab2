"""Prometheus metrics at /metrics: a request counter and latency histogram by route template, and the
database pool's figures, read from the driver's `pool_status()` at each scrape.

The request metrics are recorded on prometheus_client by an observer of the request middleware
(request_id.py) rather than by prometheus-fastapi-instrumentator: that one matches the path against
every route a second time and builds a Response object per request, a large share of a request
that touches no database. Here the route FastAPI already chose is read from the scope afterwards.
"""

from collections.abc import Iterator

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Metric,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import Scope

PATH = "/metrics"
# A request that matched no route: its path is not a label (any URL would make a new series).
UNMATCHED = "none"
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


class RequestMetrics:
    """`http_requests_total` (by route template, method and status class) and
    `http_request_duration_seconds` (by route template and method), for every request but scrapes:
    an observer of the request middleware (request_id.py), which already times each request."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ("handler", "method")
        self.requests = Counter(
            "http_requests_total", "Requests answered.", (*labels, "status"), registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds", "Time to answer a request.", labels, registry=registry
        )

    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        if scope["path"] == PATH:
            return
        # The route FastAPI matched, as declared (`/items/{item_id}`); set once routing chose it.
        handler = getattr(scope.get("route"), "path_format", UNMATCHED)
        method = scope["method"]
        self.requests.labels(handler, method, f"{status // 100}xx").inc()
        self.latency.labels(handler, method).observe(seconds)


def install(app: FastAPI) -> RequestMetrics:
    """Serve /metrics; the returned recorder is to be given to the request middleware."""
    # A registry per app, not the process-wide default: a process may build several apps (tests do),
    # and each must count its own requests and read its own pool.
    registry = CollectorRegistry()
    registry.register(PoolCollector(app))

    @app.get(PATH, include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return RequestMetrics(registry)
