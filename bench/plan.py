"""What a run measures: scenarios, concurrencies, durations, added latencies, references."""

from dataclasses import dataclass

from . import references
from .wrk import SCENARIOS


@dataclass(frozen=True)
class Plan:
    mode: str
    scenarios: tuple[str, ...]
    concurrencies: tuple[int, ...]
    seconds: int  # each measured wrk run (wrk takes whole seconds)
    warmup_seconds: int  # each scenario once, before the measured runs of a server start
    latencies_ms: tuple[float, ...]  # added to every database round trip; 0 is a direct connection
    references: tuple[references.Reference, ...]
    stress_seconds: int = 0  # runs at c >= 256 last this long if longer: wrk counts a timeout (2 s) only
    # when it saw the request start and the deadline pass inside one run
    pause_seconds: float = 0.3  # between measured runs, so the last run's sockets close
    busy_sample_seconds: float = 2.0  # how long the machine's own load is sampled before each target

    rounds: int = 1  # runs per cell below c=256; the best stands for it (see run.best_of)

    def rounds_for(self, connections: int) -> int:
        return 1 if connections >= 256 else self.rounds

    def seconds_for(self, connections: int) -> int:
        return max(self.seconds, self.stress_seconds) if connections >= 256 else self.seconds


FULL = Plan(
    mode="full",
    scenarios=SCENARIOS,
    # c=8: where issue 14 compares sync-threadpool with plain-sync, below where plain-sync stalls
    # (transfers from about c=14, every route past 40)
    concurrencies=(1, 8, 16, 64, 256),
    seconds=1,
    warmup_seconds=1,
    latencies_ms=(0.0, 1.0),
    references=references.ALL,
    stress_seconds=5,
    rounds=2,
)
QUICK = Plan(
    mode="quick",
    scenarios=("read", "transfer"),
    concurrencies=(1, 64),
    seconds=1,
    warmup_seconds=1,
    latencies_ms=(0.0, 1.0),
    references=references.QUICK,
    pause_seconds=0.1,
    busy_sample_seconds=1.0,
)
