"""The worker's Prometheus metrics. Its own runs (in flight, retries, run time) are counted as they
happen; the queue's figures (queued, oldest queued age, dead) are read from the queue table at each
scrape, the same from every worker: aggregate those with max(), not sum()."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pgqueuer.domain.settings import db_settings
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Metric
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# Per kind: jobs waiting (retries waiting for their time included), the age of the oldest one that
# may run now (a backlog's age), and jobs dead after their last attempt.
QUEUE_FIGURES = """
SELECT entrypoint,
       count(*) FILTER (WHERE status = 'queued') AS queued,
       coalesce(extract(epoch FROM now() - min(created) FILTER (
           WHERE status = 'queued' AND execute_after <= now())), 0)::float8 AS oldest,
       count(*) FILTER (WHERE status = 'failed') AS dead
FROM {table}
GROUP BY entrypoint
"""


@dataclass(frozen=True)
class QueueFigures:
    queued: int
    oldest_seconds: float
    dead: int


NONE_WAITING = QueueFigures(queued=0, oldest_seconds=0.0, dead=0)


def queue_figures_query() -> str:
    return QUEUE_FIGURES.format(table=db_settings().qualified.queue_table)


class QueueCollector(Collector):
    """The queue's figures as last read; none before the first read or while the queue is out of
    reach (a scrape then shows the worker's own figures only)."""

    def __init__(self, kinds: Iterable[str]) -> None:
        self.kinds = sorted(kinds)
        self.figures: dict[str, QueueFigures] | None = None

    def collect(self) -> Iterator[Metric]:
        if self.figures is None:
            return
        families = (
            ("jobs_queued", "Jobs waiting to run, retries included.", "queued"),
            ("jobs_oldest_queued_seconds", "Age of the oldest job that may run now.", "oldest_seconds"),
            ("jobs_dead", "Jobs that failed their last attempt, kept for a replay.", "dead"),
        )
        for name, help_text, field in families:
            family = GaugeMetricFamily(name, help_text, labels=["kind"])
            for kind in self.kinds:
                family.add_metric([kind], getattr(self.figures.get(kind, NONE_WAITING), field))
            yield family


class JobMetrics:
    def __init__(self, kinds: Iterable[str]) -> None:
        self.registry = CollectorRegistry()
        self.queue = QueueCollector(kinds)
        self.registry.register(self.queue)
        self.in_flight = Gauge(
            "jobs_in_flight", "Jobs this worker is running.", ["kind"], registry=self.registry
        )
        self.retries = Counter(
            "jobs_retries", "Failed runs this worker left to be retried.", ["kind"], registry=self.registry
        )
        self.run_seconds = Histogram(
            "job_run_seconds", "Time a run took, by outcome.", ["kind", "outcome"], registry=self.registry
        )
        for kind in self.queue.kinds:  # every series present from the start, at zero
            self.in_flight.labels(kind)
            self.retries.labels(kind)

    def read_queue(self, rows: Iterable[dict[str, object]] | None) -> None:
        """The queue's figures from QUEUE_FIGURES' rows; None: the queue could not be read."""
        if rows is None:
            self.queue.figures = None
            return
        self.queue.figures = {
            str(row["entrypoint"]): QueueFigures(
                queued=int(str(row["queued"])),
                oldest_seconds=float(str(row["oldest"])),
                dead=int(str(row["dead"])),
            )
            for row in rows
        }
