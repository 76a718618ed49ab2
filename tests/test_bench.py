"""The benchmark harness in its quick mode, once, so CI covers it: every variant and reference is baked
or installed, seeded, served, driven by wrk directly and through the latency proxy, and reported;
plain-sync, which stalls under load, is killed and served again each time it does. Figures are
never asserted: on a shared machine they are the benchmark's to report, not a test's. A second run,
of one driver, is stopped (Ctrl-C, SIGTERM) and must clean up after itself."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from bench import database
from bench.goals import GOALS
from bench.plan import QUICK
from bench.report import README_END, README_START, SUMMARY_END, SUMMARY_START, readme_block, summary_block

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
    summary = summary_block(results, "bench/results")
    assert summary.startswith(SUMMARY_START)
    assert summary.endswith(SUMMARY_END)
    assert "| sync-threadpool / plain-sync | req/s |" in summary


def bench_databases(server: str) -> set[str]:
    with psycopg.connect(server) as connection:
        rows = connection.execute("SELECT datname FROM pg_database WHERE datname LIKE 'bench%'").fetchall()
    return {str(name) for (name,) in rows}


@pytest.mark.parametrize(
    ("stop", "to_group", "code", "last_line"),
    [
        # Ctrl-C: a terminal sends SIGINT to the whole process group (the run, its servers, wrk).
        (signal.SIGINT, True, 130, "bench: interrupted"),
        # `kill` or a CI job's timeout: SIGTERM to the run alone, which must stop its servers itself.
        (signal.SIGTERM, False, 143, "bench: stopped by SIGTERM"),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stopped_run_says_so_in_one_line_and_leaves_nothing_behind(
    tmp_path: Path, stop: signal.Signals, to_group: bool, code: int, last_line: str
) -> None:
    """Stopped while a server is up and its database copied: one line and its exit status, no
    traceback, no process left in its group, no database left on the server (this assumes no other
    run of the benchmark uses that server meanwhile, as in the template's serial `variants` session)."""
    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    server = server or database.DEFAULT_SERVER
    if database.answers(server) is not None:
        pytest.skip("no PostgreSQL server to look for leftover databases on")
    before = bench_databases(server)
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL"}}
    command = [sys.executable, "-m", "bench", "--quick", "--only", DRIVERS[0], "--out", str(tmp_path)]
    lines: list[str] = []
    with subprocess.Popen(
        command,
        cwd=TEMPLATE,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as run:
        assert run.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(run.stderr or ()), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 300
            while not any("req/s" in line for line in lines):  # a first cell measured: all is up
                assert run.poll() is None, "".join(lines[-5:])
                assert time.monotonic() < deadline, "no cell measured within 300 s"
                time.sleep(0.1)
            if to_group:
                os.killpg(run.pid, stop)
            else:
                run.send_signal(stop)
            exited = run.wait(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
        reader.join(timeout=10)  # before the block ends and closes the pipe it reads

    output = "".join(lines)
    assert exited == code, output[-2000:]
    assert "Traceback" not in output, output[-2000:]
    assert lines[-1].strip() == last_line
    deadline = time.monotonic() + 10
    while True:  # a server the run stopped may still be exiting: give it a moment
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "a process of the run outlived it"
        time.sleep(0.2)
    assert bench_databases(server) <= before
