"""Everything a run measured, as JSON (every figure), a markdown table and a chart; plus the issue's
targets, read from the figures and reported (never asserted)."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import database, wrk

CEILING, ANTIPATTERN = "ceiling", "antipattern"
SCENARIO_TITLES = {
    "read": "one-row read",
    "page": "page of 50",
    "write": "write (create item)",
    "transfer": "transfer",
}
# From issue 6, as shares of the ceiling, one-row read and page of 50 at c=64, no added latency.
SHARE_TARGETS = {"asyncpg": 0.25, "tortoise": 0.40}
P99_TARGET_MS = 200.0
ANTIPATTERN_FACTOR = 3.0
TARGET_CONCURRENCY, STRESS_CONCURRENCY = 64, 256

Row = dict[str, Any]


def progress_line(row: Row) -> str:
    errors = sum(row["errors"].values())
    return (
        f"bench: {row['target']:<16} +{row['latency_ms']:g}ms {row['scenario']:<8} c={row['concurrency']:<4}"
        f" {row['rps']:>7.0f} req/s  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms"
        f"  errors {errors}{'  stuck' if row.get('stuck') else ''}"
    )


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


def add_ratios(rows: Sequence[Row]) -> None:
    for row in rows:
        for reference, key in ((CEILING, "of_ceiling"), (ANTIPATTERN, "vs_antipattern")):
            base = find(rows, reference, row["latency_ms"], row["scenario"], row["concurrency"])
            row[key] = round(row["rps"] / base["rps"], 3) if base and base["rps"] else None


@dataclass
class Check:
    target: str
    measured: str
    met: bool | None  # None: not measured in this run


def checks(rows: Sequence[Row], variants: Sequence[str]) -> list[Check]:
    found: list[Check] = []
    for variant in variants:
        share = SHARE_TARGETS.get(variant)
        if share is not None:
            for scenario in ("read", "page"):
                row = find(rows, variant, 0.0, scenario, TARGET_CONCURRENCY)
                goal = (
                    f"{variant}: {SCENARIO_TITLES[scenario]} at c={TARGET_CONCURRENCY} >= {share:.0%} of the "
                    f"ceiling, p99 < {P99_TARGET_MS:.0f} ms"
                )
                if row is None or row.get("of_ceiling") is None:
                    found.append(Check(goal, "not measured", None))
                else:
                    met = row["of_ceiling"] >= share and row["p99_ms"] < P99_TARGET_MS
                    found.append(Check(goal, f"{row['of_ceiling']:.0%}, p99 {row['p99_ms']:.0f} ms", met))
        stressed = [
            row for row in rows if row["target"] == variant and row["concurrency"] == STRESS_CONCURRENCY
        ]
        goal = f"{variant}: no errors and no timeouts at c={STRESS_CONCURRENCY}"
        if not stressed:
            found.append(Check(goal, "not measured", None))
        else:
            bad = [row for row in stressed if failed(row)]
            described = ", ".join(
                f"{row['scenario']} +{row['latency_ms']:g}ms: {describe_errors(row)}" for row in bad
            )
            found.append(Check(goal, described or f"none in {len(stressed)} runs", not bad))
        slow = [row for row in rows if row["target"] == variant and row["latency_ms"] > 0]
        slow = [row for row in slow if row["concurrency"] == TARGET_CONCURRENCY and row.get("vs_antipattern")]
        goal = (
            f"{variant}: >= {ANTIPATTERN_FACTOR:g}x the anti-pattern with 1 ms added, c={TARGET_CONCURRENCY}"
        )
        if not slow:
            found.append(Check(goal, "not measured", None))
        else:
            measured = ", ".join(f"{row['scenario']} {row['vs_antipattern']:.1f}x" for row in slow)
            found.append(
                Check(goal, measured, all(row["vs_antipattern"] >= ANTIPATTERN_FACTOR for row in slow))
            )
    return found


def failed(row: Row) -> bool:
    """Any error or timeout, no answer at all, or the app left stuck (see stall.py)."""
    return bool(sum(row["errors"].values())) or not row["requests"] or bool(row.get("stuck"))


def describe_errors(row: Row) -> str:
    parts = [] if row["requests"] else ["no answer"]
    parts += [f"{count} {kind}" for kind, count in row["errors"].items() if count and kind != "status"]
    parts += [f"{count}x{status}" for status, count in sorted(row["statuses"].items())]
    parts += ["stuck"] if row.get("stuck") else []
    return ", ".join(parts) or "0"


def document(
    plan: Any,
    about: dict[str, Any],
    targets: Sequence[Any],
    rows: list[Row],
    proxies: list[Row],
    elapsed: float,
    stuck_warmups: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    add_ratios(rows)
    variants = [target.name for target in targets if target.kind == "variant"]
    return {
        "mode": plan.mode,
        "elapsed_s": round(elapsed),
        "machine": about,
        "plan": {
            "scenarios": list(plan.scenarios),
            "concurrencies": list(plan.concurrencies),
            "seconds": plan.seconds,
            "seconds_at_256": plan.seconds_for(256),
            "rounds": plan.rounds,
            "warmup_seconds": plan.warmup_seconds,
            "latencies_ms": list(plan.latencies_ms),
            "wrk": {"threads": 1, "timeout_s": wrk.TIMEOUT_S},
            "uvicorn": "--loop uvloop --http httptools --workers 1 --no-access-log --log-level warning",
            "variant_env": "ENVIRONMENT=production LOG_LEVEL=WARNING; pool settings: the template's defaults",
            "seed": {"items": database.ITEMS, "accounts": database.ACCOUNTS, "transfers": database.TRANSFERS},
        },
        "targets": [
            {
                "name": target.name,
                "kind": target.kind,
                "label": target.label,
                "versions": target.versions,
                "plain_of": target.plain_of,
            }
            for target in targets
        ],
        "latency_proxy": proxies,
        "stuck_warmups": list(stuck_warmups),
        "checks": [vars(check) for check in checks(rows, variants)],
        "runs": rows,
    }


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def cpu(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def markdown(doc: dict[str, Any], chart_name: str | None) -> str:
    about = doc["machine"]
    plan = doc["plan"]
    names = [target["name"] for target in doc["targets"]]
    busy = (
        ", ".join(f"{name} {pct:.0f}%" for name, pct in about.get("background_busy_pct", {}).items()) or "-"
    )
    seed = plan["seed"]
    lines = [
        f"# Benchmark results ({doc['mode']} run)",
        "",
        f"{about['date']}; {about['nproc']} cores ({about['cpu']}), {about['memory_gib']} GiB,"
        f" Linux {about['kernel']}, Python {about['python']}, PostgreSQL {about['postgresql']},"
        f" {about['wrk']}; template {about['template_commit']}; {doc['elapsed_s']} s in all.",
        "",
        f"Each figure: wrk on loopback, 1 thread, the best of {plan['rounds']} runs of {plan['seconds']:g} s"
        f" (one run of {plan['seconds_at_256']} s at c=256; errors and timeouts are summed over runs),"
        f" after a {plan['warmup_seconds']:g} s warm-up per scenario; uvicorn {plan['uvicorn']};"
        f" a fresh copy of a database seeded with {seed['items']:,} items, {seed['accounts']:,} accounts"
        f" and {seed['transfers']:,} transfers for each pass. *of ceiling* is req/s over the ceiling's in"
        " the same cell; *errors* counts non-2xx answers and socket errors, *timeouts* requests slower"
        f" than {plan['wrk']['timeout_s']} s (wrk sees one only in a run longer than that);"
        " *app CPU ms/req* is the served process's CPU time over its requests"
        " (steadier than req/s on a shared machine); *stuck*: after the run the app, idle, did not"
        " answer a read within a few seconds, so it was killed and started again before its next run."
        f" Machine busy with other work before each target (% of all cores): {busy}.",
        "",
        "| name | what it is | versions |",
        "|---|---|---|",
    ]
    for target in doc["targets"]:
        versions = ", ".join(f"{key} {value}" for key, value in target["versions"].items())
        lines.append(f"| {target['name']} | {target['label']} | {versions} |")
    if doc["latency_proxy"]:
        added = sorted(proxy["added_round_trip_ms"] for proxy in doc["latency_proxy"])
        lines += [
            "",
            "Added latency: a userspace TCP proxy holds each chunk the app sends to PostgreSQL;"
            f" measured idle, it added {added[0]:.2f}-{added[-1]:.2f} ms to a round trip.",
        ]
    if doc.get("stuck_warmups"):
        warmups = doc["stuck_warmups"]
        stuck = ", ".join(f"{w['target']} ({w['scenario']}, +{w['latency_ms']:g}ms)" for w in warmups)
        lines += ["", f"Left stuck by a warm-up at c=16, and started again before the first run: {stuck}."]
    lines += ["", "## Targets (issue 6), read from this run", "", *targets_table(doc)]
    lines += ["", *summary(doc, names)]
    if chart_name:
        lines += ["", f"![req/s and p99 by concurrency]({chart_name})"]
    lines += ["", "## Every figure", ""]
    for latency in plan["latencies_ms"]:
        title = "no added latency" if not latency else f"{latency:g} ms added to every database round trip"
        lines += [
            f"### {title}",
            "",
            "| scenario | c | target | req/s | of ceiling | p50 ms | p99 ms | errors | timeouts"
            " | app CPU ms/req |",
            "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for scenario in plan["scenarios"]:
            for concurrency in plan["concurrencies"]:
                for name in names:
                    row = find(doc["runs"], name, latency, scenario, concurrency)
                    if row is None:
                        continue
                    errors = sum(count for kind, count in row["errors"].items() if kind != "timeout")
                    cells = [scenario, concurrency, name, number(row["rps"]), share(row["of_ceiling"])]
                    cells += [
                        f"{row['p50_ms']:.1f}",
                        f"{row['p99_ms']:.1f}",
                        f"{errors}, stuck" if row.get("stuck") else errors,
                        row["errors"]["timeout"],
                    ]
                    cells.append(cpu(row["app_cpu_ms_per_request"]))
                    lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def targets_table(doc: dict[str, Any]) -> list[str]:
    lines = ["| target | measured | met |", "|---|---|---|"]
    for check in doc["checks"]:
        met = {True: "yes", False: "**no**", None: "-"}[check["met"]]
        lines.append(f"| {check['target']} | {check['measured']} | {met} |")
    return lines


README_START = "<!-- bench:start: written by `nox -s bench` (bench/report.py); do not edit by hand -->"
README_END = "<!-- bench:end -->"


def readme_block(doc: dict[str, Any], results: str) -> str:
    """The README's view of a full run: where it ran, the c=64 summary, the chart, the targets."""
    about = doc["machine"]
    busy = about.get("background_busy_pct", {})
    lines = [
        README_START,
        f"Measured {about['date']} on {about['nproc']} cores ({about['cpu']}), {about['memory_gib']} GiB,"
        f" Python {about['python']}, PostgreSQL {about['postgresql']}, {about['wrk']}, template"
        f" {about['template_commit']}; the whole run took {doc['elapsed_s'] / 60:.0f} min."
        + (
            f" Other work kept {min(busy.values()):.0f}-{max(busy.values()):.0f}% of the machine busy"
            " while it ran: compare the rows with each other, not with another run."
            if busy
            else ""
        ),
        "",
        *summary(doc, [target["name"] for target in doc["targets"]], level="####"),
        f"![req/s and p99 against concurrency]({results}/results.png)",
        "",
        "#### Targets from issue 6",
        "",
        *targets_table(doc),
        "",
        f"Every figure (p50, errors, timeouts, app CPU per request, c=1 to 256): [{results}/results.md]"
        f"({results}/results.md), and [{results}/results.json]({results}/results.json).",
        README_END,
    ]
    return "\n".join(lines)


def update_readme(readme: Path, doc: dict[str, Any], results: str) -> bool:
    """Replace the block between the markers; False if the README has no such block."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[:start] + readme_block(doc, results) + text[end + len(README_END) :])
    return True


def summary(doc: dict[str, Any], names: Sequence[str], level: str = "##") -> list[str]:
    """req/s (share of the ceiling) and p99 at one concurrency, a table per added latency."""
    plan = doc["plan"]
    concurrency = (
        TARGET_CONCURRENCY if TARGET_CONCURRENCY in plan["concurrencies"] else plan["concurrencies"][-1]
    )
    lines = [f"{level} At c={concurrency}: req/s (share of the ceiling), p99", ""]
    for latency in plan["latencies_ms"]:
        title = "no added latency" if not latency else f"+{latency:g} ms per database round trip"
        lines += [
            f"**{title}**",
            "",
            "| target | " + " | ".join(SCENARIO_TITLES[s] for s in plan["scenarios"]) + " |",
            "|---|" + "--:|" * len(plan["scenarios"]),
        ]
        for name in names:
            cells = []
            for scenario in plan["scenarios"]:
                row = find(doc["runs"], name, latency, scenario, concurrency)
                if row is None:
                    cells.append("")
                    continue
                if not row["requests"]:
                    cells.append(describe_errors(row))
                    continue
                ratio = (
                    f" ({share(row['of_ceiling'])})"
                    if row["of_ceiling"] is not None and name != CEILING
                    else ""
                )
                cells.append(f"{number(row['rps'])}{ratio}, {row['p99_ms']:.0f} ms")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def write(doc: dict[str, Any], out: Path, profiles: dict[str, str]) -> list[Path]:
    from .chart import draw

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.json", out / "results.md", out / "results.png"]
    if profiles:
        folder = out / "profiles"
        folder.mkdir(exist_ok=True)
        for name, text in profiles.items():
            (folder / f"{name}.txt").write_text(text)
        written.append(folder)
    written[0].write_text(json.dumps(doc, indent=1) + "\n")
    draw(doc, written[2])
    written[1].write_text(markdown(doc, written[2].name) + "\n")
    return written
