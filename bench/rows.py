"""A run's rows (one per target, added latency, scenario and concurrency): finding one, and saying
what went wrong in it."""

from collections.abc import Sequence
from typing import Any

Row = dict[str, Any]


def find(rows: Sequence[Row], target: str, latency: float, scenario: str, concurrency: int) -> Row | None:
    for row in rows:
        if (row["target"], row["latency_ms"], row["scenario"], row["concurrency"]) == (
            target,
            latency,
            scenario,
            concurrency,
        ):
            return row
    return None


def answered(row: Row) -> bool:
    return bool(row["requests"])


def failed(row: Row) -> bool:
    """Any error or timeout, no answer at all, or the app left stuck (see stall.py)."""
    return bool(sum(row["errors"].values())) or not answered(row) or bool(row.get("stuck"))


def describe_errors(row: Row) -> str:
    parts = [] if answered(row) else ["no answer"]
    parts += [f"{count} {kind}" for kind, count in row["errors"].items() if count and kind != "status"]
    parts += [f"{count}x{status}" for status, count in sorted(row["statuses"].items())]
    parts += ["stuck"] if row.get("stuck") else []
    return ", ".join(parts) or "0"
