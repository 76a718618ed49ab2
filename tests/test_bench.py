"""The benchmark harness in its quick mode, once, so CI covers it: every variant and reference is baked
or installed, seeded, served, driven by wrk directly and through the latency proxy, and reported;
plain-sync, which stalls under load, is killed and served again each time it does. Figures are
never asserted: on a shared machine they are the benchmark's to report, not a test's."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.goals import GOALS
from bench.plan import QUICK
from bench.report import README_END, README_START, readme_block

from .template import DRIVERS, TEMPLATE

pytestmark = pytest.mark.variant


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder one quick run wrote its results to; the run must succeed."""
    out = tmp_path_factory.mktemp("bench")
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL"}}
    command = [sys.executable, "-m", "bench", "--quick", "--out", str(out)]
    try:
        done = subprocess.run(
            command, cwd=TEMPLATE, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the quick bench did not finish within 600 s")
    lines = done.stderr.strip().splitlines() or ["no output"]
    reason = next((line for line in reversed(lines) if "error:" in line), lines[-1])
    assert done.returncode == 0, reason
    print("\n".join(lines[-8:]))
    return out


def test_quick_bench_runs_end_to_end(quick_results: Path) -> None:
    results = json.loads((quick_results / "results.json").read_text())
    names = [reference.name for reference in QUICK.references] + DRIVERS
    assert [target["name"] for target in results["targets"]] == names
    cells = {
        (run["target"], run["latency_ms"], run["scenario"], run["concurrency"]) for run in results["runs"]
    }
    expected = {
        (name, latency, scenario, concurrency)
        for name in names
        for latency in QUICK.latencies_ms
        for scenario in QUICK.scenarios
        for concurrency in QUICK.concurrencies
    }
    assert cells == expected
    # One connection at a time: every request of the Lua scripts is one the app accepts.
    refused = [run for run in results["runs"] if run["concurrency"] == 1 and run["statuses"]]
    assert refused == []
    # A run that got no answer at all left its app stuck, and the harness saw it (and served it again).
    silent = [run for run in results["runs"] if not run["requests"] and not run["stuck"]]
    assert silent == []
    assert results["latency_proxy"], "the latency pass did not go through the proxy"
    assert (quick_results / "results.png").stat().st_size > 10_000


def test_quick_bench_reports_every_target_and_the_plain_comparison(quick_results: Path) -> None:
    results = json.loads((quick_results / "results.json").read_text())
    assert {check["issue"] for check in results["checks"]} == {goal.issue for goal in GOALS}
    assert all(check["met"] in {True, False, None} and check["measured"] for check in results["checks"])
    report = (quick_results / "results.md").read_text()
    for issue in sorted({goal.issue for goal in GOALS}):
        assert f"## Targets from issue {issue}" in report
    # plain-sync is in the quick plan: its layer's line over it is written.
    assert "| sync-threadpool / plain-sync | req/s |" in report
    block = readme_block(results, "bench/results")
    assert block.startswith(README_START)
    assert block.endswith(README_END)
    assert "#### Targets from issue 14" in block
    assert "each layer over its plain counterpart" in block
