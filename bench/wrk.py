"""wrk, the load generator: installed from Debian's packages when missing, driven with the Lua scripts
in lua/, its figures read from the one JSON line the scripts print at the end."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import BenchError

LUA = Path(__file__).resolve().parent / "lua"
SCENARIOS = ("read", "page", "write", "transfer")
SCENARIO_TITLES = {
    "read": "one-row read",
    "page": "page of 50",
    "write": "write (create item)",
    "transfer": "transfer",
    "transfer-keyed": "transfer with an Idempotency-Key",
}
TIMEOUT_S = 2  # wrk's default: a request slower than this counts as a timeout, not as a latency
MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: dict[str, int]  # connect, read, write, status (non-2xx/3xx), timeout
    statuses: dict[str, int]  # non-2xx answers by status code

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """wrk's path; installs the Debian package if it is missing (needs root and apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    if not shutil.which("apt-get"):
        raise BenchError("wrk is not installed and there is no apt-get to install it with")
    if os.geteuid() != 0:
        raise BenchError("wrk is not installed; installing it needs root: run `sudo apt-get install wrk`")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:  # a machine that never fetched the package lists: fetch them once
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True, env=env, check=False)
        done = subprocess.run(install, capture_output=True, text=True, env=env, check=False)
    found = shutil.which("wrk")
    if done.returncode != 0 or not found:
        reason = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise BenchError(f"wrk is not installed and `apt-get install wrk` failed: {reason}")
    return found


def version(wrk: str) -> str:
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    return ((done.stdout + done.stderr).strip().splitlines() or ["wrk"])[0].split(" [")[0]


def script(scenario: str, into: Path) -> Path:
    """The scenario's script with the shared reporting in front (wrk takes a single file)."""
    path = into / f"{scenario}.lua"
    if not path.exists():
        path.write_text((LUA / "report.lua").read_text() + "\n" + (LUA / f"{scenario}.lua").read_text())
    return path


def run(
    wrk: str,
    base_url: str,
    scenario: str,
    connections: int,
    seconds: int,
    params: dict[str, object],
    work: Path,
) -> Figures:
    command = [wrk, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", f"{TIMEOUT_S}s"]
    command += ["-s", str(script(scenario, work)), base_url, "--"]
    command += [f"{key}={value}" for key, value in params.items()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk ({scenario}, c={connections}) did not finish") from None
    line = next((line for line in done.stdout.splitlines() if line.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        reason = ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]
        raise BenchError(f"wrk ({scenario}, c={connections}) failed: {reason}")
    raw = json.loads(line.removeprefix(MARKER))
    return Figures(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        errors={key: raw[key] for key in ("connect", "read", "write", "status", "timeout")},
        statuses=raw["statuses"],
    )
