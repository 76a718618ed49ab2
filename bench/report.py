"""Everything a run measured, as JSON (every figure), a markdown table and a chart; plus the issue's
targets, read from the figures and reported (never asserted)."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import database, wrk
from .checks import checks
from .goals import ISSUES
from .rows import Row, answered, describe_errors, find
from .wrk import SCENARIO_TITLES

CEILING, ANTIPATTERN = "ceiling", "antipattern"
SUMMARY_CONCURRENCY = 64  # the issues' targets are read there


def latency_title(latency: float) -> str:
    return "no added latency" if not latency else f"+{latency:g} ms per database round trip"


def progress_line(row: Row) -> str:
    errors = sum(row["errors"].values())
    begun = sessions(row.get("new_sessions_per_s")) or "-"
    return (
        f"bench: {row['target']:<16} +{row['latency_ms']:g}ms {row['scenario']:<8} c={row['concurrency']:<4}"
        f" {row['rps']:>7.0f} req/s  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms"
        f"  new sessions/s {begun}  errors {errors}{'  stuck' if row.get('stuck') else ''}"
    )


def add_ratios(rows: Sequence[Row]) -> None:
    for row in rows:
        for reference, key in ((CEILING, "of_ceiling"), (ANTIPATTERN, "vs_antipattern")):
            base = find(rows, reference, row["latency_ms"], row["scenario"], row["concurrency"])
            row[key] = round(row["rps"] / base["rps"], 3) if base and base["rps"] else None


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


def sessions(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


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
        " (steadier than req/s on a shared machine); *new sessions/s*: server sessions its database"
        " began during the run (PostgreSQL's pg_stat_database), per second, which a warm pool under"
        " steady load keeps at 0; *stuck*: after the run the app, idle, did not"
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
    lines += ["", *targets_sections(doc, "##")]
    lines += ["", *summary(doc, names)]
    for concurrency in plan["concurrencies"]:
        lines += plain_tables(doc, concurrency, "##")
    if chart_name:
        lines += ["", f"![req/s and p99 by concurrency]({chart_name})"]
    lines += ["", "## Every figure", ""]
    for latency in plan["latencies_ms"]:
        title = "no added latency" if not latency else f"{latency:g} ms added to every database round trip"
        lines += [
            f"### {title}",
            "",
            "| scenario | c | target | req/s | of ceiling | p50 ms | p99 ms | errors | timeouts"
            " | app CPU ms/req | new sessions/s |",
            "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|",
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
                    cells.append(sessions(row.get("new_sessions_per_s")))
                    lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def targets_sections(doc: dict[str, Any], level: str) -> list[str]:
    """A table per issue, newest first: each target, what this run measured, met or not."""
    lines = []
    for issue, about in ISSUES.items():
        found = [check for check in doc["checks"] if check["issue"] == issue]
        lines += [
            f"{level} Targets from issue {issue}: {about}",
            "",
            "| target | measured | met |",
            "|---|---|---|",
        ]
        for check in found:
            met = {True: "yes", False: "**no**", None: "-"}[check["met"]]
            lines.append(f"| {check['target']} | {check['measured']} | {met} |")
        lines.append("")
    lines.append(
        "Ratios: the layer's figure over the other target's in the same cell. No added latency unless said."
    )
    return lines


PLAIN_FIGURES = {"rps": "req/s", "p99_ms": "p99", "app_cpu_ms_per_request": "app CPU/req"}


def plain_tables(doc: dict[str, Any], concurrency: int, level: str) -> list[str]:
    """Each layer's req/s, p99 and app CPU per request over its plain counterpart's, per scenario."""
    plan = doc["plan"]
    pairs = [(target["plain_of"], target["name"]) for target in doc["targets"] if target.get("plain_of")]
    names = {target["name"] for target in doc["targets"]}
    pairs = [(layer, plain) for layer, plain in pairs if layer in names]
    if not pairs:
        return []
    lines = [
        "",
        f"{level} At c={concurrency}: each layer over its plain counterpart (req/s above 1x and p99, CPU"
        " below 1x favour the layer)",
        "",
    ]
    for latency in plan["latencies_ms"]:
        title = latency_title(latency)
        lines += [
            f"**{title}**",
            "",
            "| layer / plain | figure | " + " | ".join(SCENARIO_TITLES[s] for s in plan["scenarios"]) + " |",
            "|---|---|" + "--:|" * len(plan["scenarios"]),
        ]
        for layer, plain in pairs:
            for index, (figure, title) in enumerate(PLAIN_FIGURES.items()):
                cells = [
                    plain_ratio(doc["runs"], figure, layer, plain, latency, scenario, concurrency)
                    for scenario in plan["scenarios"]
                ]
                first = f"{layer} / {plain}" if index == 0 else ""
                lines.append(f"| {first} | {title} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def plain_ratio(
    rows: Sequence[Row], figure: str, layer: str, plain: str, latency: float, scenario: str, concurrency: int
) -> str:
    row = find(rows, layer, latency, scenario, concurrency)
    base = find(rows, plain, latency, scenario, concurrency)
    if row is None or base is None:
        return ""
    if not answered(row) or not answered(base):  # no ratio; said once, in the req/s line
        silent = [name for name, each in ((layer, row), (plain, base)) if not answered(each)]
        return f"{' and '.join(silent)} answered nothing" if figure == "rps" else "-"
    stuck = " ".join(f"({name} stuck)" for name, each in ((layer, row), (plain, base)) if each["stuck"])
    if figure == "p99_ms" and base["stuck"]:  # its p99 leaves out every request it never answered
        return stuck
    if not base[figure]:
        return ""
    return f"{row[figure] / base[figure]:.2f}x {stuck}".strip()


README_START = "<!-- bench:start: written by `nox -s bench` (bench/report.py); do not edit by hand -->"
README_END = "<!-- bench:end -->"


def readme_block(doc: dict[str, Any], results: str) -> str:
    """The README's view of a full run: where it ran, the c=64 summary, the chart, each layer over its
    plain counterpart at c=64, the targets."""
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
        *plain_tables(doc, summary_concurrency(doc), "####"),
        "",
        *targets_sections(doc, "####"),
        "",
        f"Every figure (p50, errors, timeouts, app CPU per request, c=1 to 256): [{results}/results.md]"
        f"({results}/results.md), and [{results}/results.json]({results}/results.json).",
        README_END,
    ]
    return "\n".join(lines)


SUMMARY_START = "<!-- bench-summary:start: written by `nox -s bench` (bench/report.py); do not edit -->"
SUMMARY_END = "<!-- bench-summary:end -->"


def summary_block(doc: dict[str, Any], results: str) -> str:
    """The template README's view of a full run: when and where, each layer over its plain
    counterpart at c=64 with no latency added, and the chart."""
    about = doc["machine"]
    first = {**doc, "plan": {**doc["plan"], "latencies_ms": doc["plan"]["latencies_ms"][:1]}}
    lines = [
        SUMMARY_START,
        f"Measured {about['date']} on {about['nproc']} cores, template {about['template_commit']}.",
        "",
        *plain_tables(first, summary_concurrency(doc), "####")[3:],  # the table alone, without its heading
        f"![req/s and p99 against concurrency]({results}/results.png)",
        SUMMARY_END,
    ]
    return "\n".join(lines)


def replace_block(path: Path, start_marker: str, end_marker: str, block: str) -> bool:
    """Replace the block between the markers; False if the file has no such block."""
    text = path.read_text()
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        return False
    path.write_text(text[:start] + block + text[end + len(end_marker) :])
    return True


def summary(doc: dict[str, Any], names: Sequence[str], level: str = "##") -> list[str]:
    """req/s (share of the ceiling) and p99 at one concurrency, a table per added latency."""
    plan = doc["plan"]
    concurrency = summary_concurrency(doc)
    lines = [f"{level} At c={concurrency}: req/s (share of the ceiling), p99", ""]
    for latency in plan["latencies_ms"]:
        title = latency_title(latency)
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
                cells.append(summary_cell(row))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def summary_concurrency(doc: dict[str, Any]) -> int:
    concurrencies = doc["plan"]["concurrencies"]
    return SUMMARY_CONCURRENCY if SUMMARY_CONCURRENCY in concurrencies else concurrencies[-1]


def summary_cell(row: Row) -> str:
    """req/s (share of the ceiling), p99, and what went wrong if anything did."""
    if not answered(row):
        return describe_errors(row)
    ratio = (
        f" ({share(row['of_ceiling'])})" if row["of_ceiling"] is not None and row["target"] != CEILING else ""
    )
    trouble = describe_errors(row)
    return f"{number(row['rps'])}{ratio}, {row['p99_ms']:.0f} ms" + ("" if trouble == "0" else f", {trouble}")


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
