"""Each goal of goals.py read from a run: what was measured, and whether it is met."""

from collections.abc import Sequence
from dataclasses import dataclass

from .goals import ERRORS, EVERY_LAYER, GOALS, Goal
from .rows import Row, answered, describe_errors, failed, find
from .wrk import SCENARIO_TITLES, SCENARIOS

FIGURES = {"rps": "req/s", "p99_ms": "p99", "app_cpu_ms_per_request": "app CPU per request"}


@dataclass
class Check:
    issue: int
    target: str  # the goal, in words
    measured: str
    met: bool | None  # None: not (fully) measured in this run


def checks(rows: Sequence[Row], variants: Sequence[str]) -> list[Check]:
    found = []
    for goal in GOALS:
        for layer in variants if goal.layer == EVERY_LAYER else [goal.layer]:
            found.append(check(goal, layer, rows))
    return found


def check(goal: Goal, layer: str, rows: Sequence[Row]) -> Check:
    measured: list[str] = []
    verdicts: list[bool] = []
    missing: list[str] = []
    cells = [
        (scenario, concurrency, latency)
        for latency in goal.latencies_ms
        for scenario in goal.scenarios
        for concurrency in goal.concurrencies
    ]
    for scenario, concurrency, latency in cells:
        where = cell_name(goal, scenario, concurrency, latency)
        row = find(rows, layer, latency, scenario, concurrency)
        base = find(rows, goal.against, latency, scenario, concurrency) if goal.against else None
        if row is None or (goal.against and base is None):
            missing.append(where)
            continue
        text, met = judge(goal, row, base)
        verdicts.append(met)
        if text:
            measured.append(f"{where}: {text}")
    if goal.figure == ERRORS and verdicts and all(verdicts):
        measured.append(f"none in {len(verdicts)} runs")
    if missing:
        measured.append("not measured" + (f": {', '.join(missing)}" if measured or verdicts else ""))
    met = False if not all(verdicts) else (None if missing else True)
    return Check(goal.issue, describe(goal, layer), ", ".join(measured), met)


def judge(goal: Goal, row: Row, base: Row | None) -> tuple[str, bool]:
    """What one cell shows of the goal (empty if nothing worth saying), and whether it meets it."""
    if goal.figure == ERRORS:
        return (f"{describe_errors(row)}", False) if failed(row) else ("", True)
    if not answered(row):
        return "answered nothing", False
    if base is None:
        value = row[goal.figure]
        text = f"{value:.0f} ms" if goal.figure == "p99_ms" else f"{value:.2f}"
        return text, within(goal, value)
    if not answered(base):  # an app that answered nothing has no tail and spends all it has per answer
        return f"({base['target']} answered nothing)", True
    if goal.figure == "p99_ms" and base["stuck"] and not row["stuck"]:
        # wrk's p99 is of the answers only: the requests a stuck app never answered have no place in it
        return f"({base['target']} stuck: its tail has no bound)", True
    ratio = row[goal.figure] / base[goal.figure]
    stuck = " ".join(f"({each['target']} stuck)" for each in (row, base) if each["stuck"])
    return f"{ratio:.2f}x {stuck}".strip(), within(goal, ratio)


def within(goal: Goal, value: float) -> bool:
    return value <= goal.bound if goal.at_most else value >= goal.bound


def cell_name(goal: Goal, scenario: str, concurrency: int, latency: float) -> str:
    parts = [scenario]
    if len(goal.concurrencies) > 1:
        parts.append(f"c={concurrency}")
    if len(goal.latencies_ms) > 1:
        parts.append(f"+{latency:g}ms")
    return " ".join(parts)


def describe(goal: Goal, layer: str) -> str:
    if goal.figure == ERRORS:
        text = f"{layer}: no error and no timeout"
    else:
        sign = "<=" if goal.at_most else ">="
        if goal.against:
            text = f"{layer}: {FIGURES[goal.figure]} {sign} {goal.bound:g}x {goal.against}'s"
        else:
            unit = " ms" if goal.figure == "p99_ms" else ""
            text = f"{layer}: {FIGURES[goal.figure]} {sign} {goal.bound:g}{unit}"
    text += " at " + " and ".join(f"c={concurrency}" for concurrency in goal.concurrencies)
    if tuple(goal.scenarios) != SCENARIOS:
        text += ", " + " and ".join(SCENARIO_TITLES[scenario] for scenario in goal.scenarios)
    latencies = {(0.0,): "", (1.0,): ", 1 ms added"}.get(tuple(goal.latencies_ms))
    return text + (", with and without 1 ms added" if latencies is None else latencies)
