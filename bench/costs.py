"""What a transfer pays for its job and for an Idempotency-Key, and what one worker keeps up with.

Each driver is baked twice, with `jobs=postgres` (the default: a transfer enqueues its
transfer.completed job in its own transaction) and with `jobs=none`; all are served together and
take turns, each cell the best of three 2 s rounds, POST /transfers without a key and with a new
key on every request. Ratios are read within this run only. The worker's figures come from
worker_load.py."""

import json
from pathlib import Path
from typing import Any

from .plan import Plan
from .report import cpu, number
from .rows import Row, failed, find

PLAN = Plan(
    mode="costs",
    scenarios=("transfer", "transfer-keyed"),
    concurrencies=(1, 64),
    seconds=2,
    warmup_seconds=1,
    latencies_ms=(0.0,),
    references=(),
    rounds=3,
)
WITHOUT_JOBS = "-jobs-none"  # the name suffix of a driver's jobs=none bake
CPU_GOAL = 1.10  # issue 31: the job may cost a transfer at most 10% more CPU
START = "<!-- bench-costs:start: written by `nox -s bench` (bench/costs.py); do not edit by hand -->"
END = "<!-- bench-costs:end -->"


def ratio(over: Row | None, under: Row | None, key: str) -> str:
    if over is None or under is None or failed(over) or failed(under) or not over[key] or not under[key]:
        return "-"
    return f"{over[key] / under[key]:.2f}x"


def comparison(rows: list[Row], pairs: list[tuple[str, str, str, str, str]]) -> list[str]:
    """(label, target, scenario, base target, base scenario) -> one line per pair and concurrency."""
    lines = [
        "| | c | req/s | app CPU ms/req | CPU/req | req/s | p99 |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for label, target, scenario, base, base_scenario in pairs:
        for concurrency in PLAN.concurrencies:
            row = find(rows, target, 0.0, scenario, concurrency)
            under = find(rows, base, 0.0, base_scenario, concurrency)
            if row is None or under is None:
                continue
            figures = f"{number(under['rps'])} -> {number(row['rps'])}"
            cpus = f"{cpu(under['app_cpu_ms_per_request'])} -> {cpu(row['app_cpu_ms_per_request'])}"
            lines.append(
                f"| {label} | {concurrency} | {figures} | {cpus} "
                f"| {ratio(row, under, 'app_cpu_ms_per_request')} | {ratio(row, under, 'rps')} "
                f"| {ratio(row, under, 'p99_ms')} |"
            )
    return lines


def tables(doc: dict[str, Any]) -> list[str]:
    rows: list[Row] = doc["rows"]
    drivers = doc["drivers"]
    jobs = [(driver, driver, "transfer", f"{driver}{WITHOUT_JOBS}", "transfer") for driver in drivers]
    keyed = [(driver, driver, "transfer-keyed", driver, "transfer") for driver in drivers]
    lines = [
        "#### A transfer's job: `jobs=postgres` over `jobs=none`",
        "",
        f"The enqueue's cost, in the transfer's transaction (goal: CPU/req <= {CPU_GOAL:.2f}x).",
        "",
        *comparison(rows, jobs),
        "",
        "#### An Idempotency-Key on every transfer: with a new key over without (`jobs=postgres`)",
        "",
        *comparison(rows, keyed),
        "",
        "#### One worker (asyncpg bake, defaults) offered jobs at a fixed rate",
        "",
        "| offered jobs/s | jobs | done/s | enqueue to start p50 | p99 | max | worker CPU ms/job |",
        "|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in doc["worker"]:
        lines.append(
            f"| {row['offered_per_s']} | {row['jobs']} | {row['done_per_s']} | {row['start_p50_ms']} ms"
            f" | {row['start_p99_ms']} ms | {row['start_max_ms']} ms | {row['worker_cpu_ms_per_job']} |"
        )
    return lines


def document(about: dict[str, Any], drivers: list[str], rows: list[Row], worker: list[Row]) -> dict[str, Any]:
    return {"about": about, "plan": PLAN.mode, "drivers": drivers, "rows": rows, "worker": worker}


def block(doc: dict[str, Any]) -> str:
    about = doc["about"]
    head = (
        f"Measured {about['date']} on {about['nproc']} cores, PostgreSQL {about['postgresql']},"
        f" template {about['template_commit']}."
    )
    return "\n".join([START, head, "", *tables(doc), END])


def write(doc: dict[str, Any], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "costs.json", out / "costs.md"]
    written[0].write_text(json.dumps(doc, indent=1) + "\n")
    written[1].write_text("\n".join(["# Costs", "", block(doc)]) + "\n")
    return written
