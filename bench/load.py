"""How busy the machine is, and how much CPU the served process spends: on a shared 2-core machine
req/s moves with whatever else runs, CPU per request much less, so both are recorded."""

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_idle(
    pids: list[int], limit_s: float = 30.0, window_s: float = 0.2, busy_share: float = 0.05
) -> float:
    """Wait until the processes together spend under `busy_share` of a core for one window: the
    requests a finished run left behind (wrk closes its connections, the app still serves what it
    had) are done, so they do not weigh on the next run. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        before = sum(process_cpu_seconds(pid) for pid in pids)
        time.sleep(window_s)
        if sum(process_cpu_seconds(pid) for pid in pids) - before < busy_share * window_s:
            break
    return round(time.monotonic() - started, 2)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies over all CPUs since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def background_busy_pct(seconds: float = 2.0) -> float:
    """Share of all CPUs busy while this run itself is idle: other people's work on the machine."""
    busy_before, total_before = machine_ticks()
    time.sleep(seconds)
    busy_after, total_after = machine_ticks()
    return round(100 * (busy_after - busy_before) / max(1, total_after - total_before), 1)
