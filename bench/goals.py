"""The issues' targets, in one table. report.py reads each from a run and says met or not; nothing
asserts them. (Named goals, since a "target" in this harness is something uvicorn serves.)"""

from dataclasses import dataclass

from .wrk import SCENARIOS

ERRORS = "errors"  # the figure of a goal of none: no error, no timeout, every run answered, none stuck
EVERY_LAYER = "every layer"  # a goal each variant of the run is held to
BOTH_LATENCIES = (0.0, 1.0)
READS = ("read", "page")
ISSUES = {  # newest first, as the report lists them
    14: "each layer against the plain code a team would write",
    6: "shares of the raw-asyncpg ceiling and of the anti-pattern",
}


@dataclass(frozen=True)
class Goal:
    issue: int
    layer: str  # the variant (db_driver) held to it, or EVERY_LAYER
    figure: str  # a run's "rps", "p99_ms" or "app_cpu_ms_per_request"; or ERRORS
    bound: float  # a ratio to `against`'s figure in the same cell, or (against None) the figure itself
    against: str | None = None  # the target compared with
    at_most: bool = False  # the bound is an upper one
    concurrencies: tuple[int, ...] = (64,)
    latencies_ms: tuple[float, ...] = (0.0,)  # ms added per database round trip
    scenarios: tuple[str, ...] = SCENARIOS


GOALS = (
    # Issue 14: each layer against the code a team would write on the same library without the
    # template (bench/reference/plain_*.py).
    Goal(14, "asyncpg", "rps", 1.3, against="plain-sqlalchemy"),
    Goal(14, "asyncpg", "app_cpu_ms_per_request", 0.75, against="plain-sqlalchemy", at_most=True),
    Goal(14, "asyncpg", "p99_ms", 0.25, against="plain-sqlalchemy", at_most=True),
    Goal(14, "tortoise", "rps", 0.95, against="plain-tortoise"),
    Goal(14, "tortoise", "app_cpu_ms_per_request", 1.1, against="plain-tortoise", at_most=True),
    Goal(14, "sync-threadpool", "rps", 1.0, against="plain-sync", concurrencies=(8,)),
    # where plain-sync stalls: c=64 here, c=256 in the next line's
    Goal(14, "sync-threadpool", ERRORS, 0, latencies_ms=BOTH_LATENCIES),
    Goal(14, EVERY_LAYER, ERRORS, 0, concurrencies=(256,), latencies_ms=BOTH_LATENCIES),
    # Issue 6: shares of the raw-asyncpg ceiling, and of the blocking anti-pattern once a round trip
    # costs 1 ms.
    Goal(6, "asyncpg", "rps", 0.25, against="ceiling", scenarios=READS),
    Goal(6, "asyncpg", "p99_ms", 200, at_most=True, scenarios=READS),
    Goal(6, "tortoise", "rps", 0.40, against="ceiling", scenarios=READS),
    Goal(6, "tortoise", "p99_ms", 200, at_most=True, scenarios=READS),
    # (issue 6 also asked for no error and no timeout at c=256: issue 14 asks it again, listed there)
    Goal(6, EVERY_LAYER, "rps", 3.0, against="antipattern", latencies_ms=(1.0,)),
)
