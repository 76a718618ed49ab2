"""The whole run: bake and install each variant, seed its database, then serve each variant and each
reference twice (direct, and with latency added by the proxy) and drive every scenario with wrk."""

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import (
    bake,
    costs,
    database,
    groups,
    load,
    machine,
    proxy,
    pyspy,
    references,
    report,
    server,
    stall,
    worker_load,
    wrk,
)
from .drivers import TEMPLATE, drivers
from .errors import BenchError
from .live import Live
from .plan import FULL, QUICK, Plan

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
PROFILED_CONCURRENCY = 64
BUSY_WARNING_PCT = 15.0
POOL_CAPACITY = 15  # connections one served target may hold: the template's pool_size 10 + max_overflow 5


@dataclass
class Target:
    """Something uvicorn serves: a baked variant or a reference app."""

    name: str
    kind: str  # "variant" or "reference"
    label: str
    python: Path
    cwd: Path
    app: str
    factory: bool
    ready_path: str
    golden: str  # the seeded database its passes copy
    seeded: database.Seeded
    app_dir: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    connections: int = POOL_CAPACITY
    plain_of: str | None = None  # for a plain reference: the variant it is the counterpart of


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare_variant(
    driver: str, work: Path, db_server: str, cleanup: ExitStack, name: str | None = None, **answers: str
) -> Target:
    """The driver baked with the defaults and `answers`, migrated and seeded; `name` tells it apart
    from the driver's default bake."""
    started = time.monotonic()
    name = name or driver
    project = bake.bake(driver, work / "variants", name, **answers)
    golden = database.new_name(f"golden_{name}")
    url = database.create(db_server, golden)
    cleanup.callback(database.drop, db_server, golden)
    bake.run(
        [bake.UV, "run", "--no-sync", "migrate"],
        project.root,
        f"migrating the {name} variant",
        DATABASE_URL=url,
    )
    seeded = database.seed(url)
    log(f"bench: {name}: baked, installed, migrated and seeded in {time.monotonic() - started:.0f} s")
    return Target(
        name=name,
        kind="variant",
        label=" ".join(f"{key}={value}" for key, value in {"db_driver": driver, **answers}.items()),
        python=project.python,
        cwd=project.root,
        app=f"{project.package}.main:create_app",
        factory=True,
        ready_path="/health/ready",
        golden=golden,
        seeded=seeded,
        env={
            "ENVIRONMENT": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
            "PATH": f"{project.bin}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        versions=bake.versions(project.python, project.root),
    )


def prepare_references(plan: Plan, work: Path, variants: list[Target]) -> list[Target]:
    python = references.environment(work, references.pinned_versions([v.versions for v in variants]))
    versions = bake.versions(python, work)
    first = variants[0]
    return [
        Target(
            name=reference.name,
            kind="reference",
            label=reference.label,
            python=python,
            cwd=work,
            app=reference.module,
            factory=False,
            ready_path="/health/live",
            golden=first.golden,  # the same schema and rows as the first variant
            seeded=first.seeded,
            app_dir=references.FOLDER,
            versions=versions,
            connections=reference.connections,
            plain_of=reference.plain_of,
        )
        for reference in plan.references
    ]


@contextmanager
def database_for(
    context: "Context", target: Target, latency_ms: float
) -> Iterator[tuple[str, dict[str, float]]]:
    """A fresh copy of the target's seeded database, reached directly or through the latency proxy."""
    with database.copy_of(context.db_server, target.golden, target.name) as url:
        if not latency_ms:
            yield url, {}
            return
        with proxy.calibrated(url, latency_ms, context.proxy_delays.get(latency_ms)) as latency:
            context.proxy_delays[latency_ms] = latency.delay_ms
            proxied = database.with_address(url, "127.0.0.1", latency.port)
            yield proxied, {"proxy_delay_ms": latency.delay_ms, "added_round_trip_ms": latency.added_ms}


def measure_group(group: list[Target], plan: Plan, context: "Context", rows: list[dict[str, Any]]) -> None:
    """Serve every target of the group at once and take turns cell by cell, so that whatever else the
    machine is doing weighs on all of them alike: the shares of the ceiling compare like with like."""
    for latency_ms in plan.latencies_ms:
        label = f"{'+'.join(target.name for target in group)} +{latency_ms:g}ms"
        context.background_busy_pct[label] = busy = load.background_busy_pct(plan.busy_sample_seconds)
        if busy > BUSY_WARNING_PCT:
            log(f"bench: warning: other work keeps {busy:.0f}% of the machine busy ({label}): noisy figures")
        with ExitStack() as stack:
            live = [stack.enter_context(serve(target, latency_ms, context)) for target in group]
            for each in live:
                warm_up(each, plan, context, latency_ms)
            for scenario in plan.scenarios:
                for connections in plan.concurrencies:
                    rounds: dict[str, list[dict[str, Any]]] = {each.target.name: [] for each in live}
                    for turn in range(plan.rounds_for(connections)):
                        for each in (
                            live[turn % len(live) :] + live[: turn % len(live)]
                        ):  # no one always first
                            if any(row["stuck"] for row in rounds[each.target.name]):
                                continue  # another round of the cell would only leave it stuck again
                            if not each.running:  # killed after a run that left it stuck; started
                                each.start()  # cold, as a warm-up at c=16 could leave it stuck again
                            pids = [other.pid for other in live if other.running]
                            row = measure_once(each, plan, context, pids, scenario, connections, latency_ms)
                            rounds[each.target.name].append(row)
                    for each in live:
                        row = best_of(rounds[each.target.name])
                        rows.append(row)
                        log(report.progress_line(row))


def warm_up(live: Live[Target], plan: Plan, context: "Context", latency_ms: float) -> None:
    """Each scenario once at c=16: caches, prepared statements, pool connections. A warm-up can leave
    an app stuck too (plain-sync's transfers at c=16): it is started again, and the report says so."""
    for scenario in plan.scenarios:
        tag = {"run": uuid.uuid4().hex[:10], "seed": 1}
        wrk.run(context.wrk, live.base, scenario, 16, plan.warmup_seconds, live.params | tag, context.work)
        if stall.stuck(live.pid, live.probe_url):
            name = live.target.name
            log(f"bench: {name} +{latency_ms:g}ms: its warm-up ({scenario}, c=16) left it stuck: killed")
            context.stuck_warmups.append({"target": name, "latency_ms": latency_ms, "scenario": scenario})
            live.kill()
            live.start()


@contextmanager
def serve(target: Target, latency_ms: float, context: "Context") -> Iterator[Live[Target]]:
    """The target served by uvicorn on a fresh copy of its database, directly or through the proxy."""
    with database_for(context, target, latency_ms) as (url, latency):
        if latency:
            context.proxies.append({"target": target.name, "latency_ms": latency_ms, **latency})
        port = proxy.free_port()
        base = f"http://127.0.0.1:{port}"
        command = server.uvicorn_command(target.python, target.app, port, target.factory, target.app_dir)
        env = bake.clean_env(DATABASE_URL=url, **target.env)

        def launch(starts: int) -> AbstractContextManager[int]:
            again = f"-restart{starts}" if starts else ""
            log_file = context.work / f"uvicorn-{target.name}-{latency_ms:g}ms{again}.log"
            return server.serving(command, target.cwd, env, base + target.ready_path, log_file)

        params: dict[str, object] = {
            "item_low": target.seeded.item_ids[0],
            "item_high": target.seeded.item_ids[1],
            "account_low": target.seeded.account_ids[0],
            "account_high": target.seeded.account_ids[1],
        }
        live = Live(target, base, database.database_name(url), params, launch)
        live.start()
        try:
            yield live
        finally:
            live.stop()


def measure_once(
    live: Live[Target],
    plan: Plan,
    context: "Context",
    pids: list[int],
    scenario: str,
    connections: int,
    latency_ms: float,
) -> dict[str, Any]:
    """One wrk run, with the app's CPU time over it (and py-spy's samples if asked); an app the run
    left stuck is killed, to be started again before its next run."""
    target, pid = live.target, live.pid
    if stopped_by:  # a stop whose KeyboardInterrupt a library swallowed: no further run
        raise Terminated if stopped_by[0] is signal.SIGTERM else KeyboardInterrupt
    time.sleep(plan.pause_seconds)  # let the last run's sockets close
    drained = load.wait_idle(pids)  # and every app finish what the last run left it
    tag = {"run": uuid.uuid4().hex[:10], "seed": uuid.uuid4().int % 10**6}
    profiled = context.profile and not latency_ms and connections == PROFILED_CONCURRENCY
    raw = context.work / f"profile-{target.name}-{scenario}.txt"
    seconds = plan.seconds_for(connections)
    sampler = pyspy.start(pid, seconds, raw) if profiled else None
    sessions_before = database.sessions_begun(context.db_server, live.database)
    cpu_before = load.process_cpu_seconds(pid)
    figures = wrk.run(context.wrk, live.base, scenario, connections, seconds, live.params | tag, context.work)
    cpu = load.process_cpu_seconds(pid) - cpu_before
    sessions_after = database.sessions_begun(context.db_server, live.database)
    if sampler is not None:
        sampler.wait(timeout=60)
        title = f"{target.name}, {scenario}, c={connections}, no added latency"
        context.profiles[f"{target.name}-{scenario}-c{connections}"] = pyspy.summarise(raw, title)
    stuck = stall.stuck(pid, live.probe_url)
    if stuck:
        log(f"bench: {target.name} +{latency_ms:g}ms {scenario} c={connections} left it stuck: killed")
        live.kill()
    return {
        "target": target.name,
        "kind": target.kind,
        "latency_ms": latency_ms,
        "scenario": scenario,
        "concurrency": connections,
        "rps": round(figures.rps, 1),
        **{key: value for key, value in asdict(figures).items() if key != "statuses"},
        "statuses": figures.statuses,
        "app_cpu_ms_per_request": round(1000 * cpu / figures.requests, 3) if figures.requests else None,
        "app_cpu_share": round(cpu / figures.seconds, 3) if figures.seconds else None,
        # Server sessions the app opened during the run: a warm pool under steady load opens none.
        "new_sessions_per_s": (
            round((sessions_after - sessions_before) / figures.seconds, 1)
            if sessions_before is not None and sessions_after is not None and figures.seconds
            else None
        ),
        "profiled": profiled,
        "drained_s": drained,
        # After the run the app, idle, gave no answer within stall.PROBE_S: it was killed and started
        # again; its requests of this run that never ended are in no figure.
        "stuck": stuck,
    }


def best_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the most req/s stands for the cell (other work on the machine only ever slows
    a round down), but errors and timeouts are summed over all rounds, and new sessions are the
    most any round opened: none may hide."""
    best = dict(max(rounds, key=lambda row: row["rps"]))
    best["errors"] = {kind: sum(row["errors"][kind] for row in rounds) for kind in best["errors"]}
    statuses: dict[str, int] = {}
    for row in rounds:
        for status, count in row["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    best["statuses"] = statuses
    best["rounds"] = [{"rps": row["rps"], "p99_ms": row["p99_ms"]} for row in rounds]
    best["stuck"] = any(row["stuck"] for row in rounds)
    begun = [row["new_sessions_per_s"] for row in rounds if row["new_sessions_per_s"] is not None]
    best["new_sessions_per_s"] = max(begun, default=None)
    return best


def serve_together(targets: list[Target], db_server: str) -> list[list[Target]]:
    found = groups.together(targets, database.free_connections(db_server))
    if len(found) > 1:
        log(f"bench: not enough free database connections to serve all at once: {len(found)} groups")
    return found


@dataclass
class Context:
    """What every target's measurement shares."""

    db_server: str
    wrk: str
    work: Path
    profile: bool
    proxies: list[dict[str, object]] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)
    proxy_delays: dict[float, float] = field(default_factory=dict)  # calibrated once, reused
    background_busy_pct: dict[str, float] = field(default_factory=dict)
    stuck_warmups: list[dict[str, object]] = field(default_factory=list)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: two scenarios, two concurrencies, 1 s"
    )
    parser.add_argument("--out", type=Path, help="where results go (default bench/results/, or its quick/)")
    parser.add_argument("--only", help="comma-separated variant or reference names to run (default: all)")
    parser.add_argument("--seconds", type=int, help="override each measured run's duration")
    parser.add_argument(
        "--concurrencies", type=connection_counts, help="comma-separated connection counts (e.g. 8,64)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder (baked projects, logs)")
    parser.add_argument(
        "--costs",
        action="store_true",
        help="only what a transfer pays for its job and an Idempotency-Key, and one worker's throughput"
        " (a full run ends with them)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"py-spy each target at c={PROFILED_CONCURRENCY}, no added latency",
    )
    return parser.parse_args(argv)


def connection_counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(","))
    if min(counts) < 1:
        raise ValueError(text)
    return counts


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a CI job's timeout): the run ends as on Ctrl-C, cleaning up on the way out."""


# The signal that stopped the run, once one came. A library may swallow the KeyboardInterrupt it
# raised (psycopg's connect tries its next address on one), and the run then fails on a server the
# signal took down: that failure is reported as the stop it followed.
stopped_by: list[signal.Signals] = []


def _terminate(signum: int, frame: object) -> None:
    stopped_by.append(signal.Signals(signum))
    raise Terminated


def _interrupt(signum: int, frame: object) -> None:
    stopped_by.append(signal.Signals(signum))
    raise KeyboardInterrupt


def stopped(by: signal.Signals) -> int:
    # On the way out, every block above stopped its servers and dropped its databases.
    if by is signal.SIGTERM:
        print("bench: stopped by SIGTERM", file=sys.stderr)
        return 128 + signal.SIGTERM
    print("bench: interrupted", file=sys.stderr)
    return 130


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = QUICK if args.quick else FULL
    if args.seconds:
        plan = replace(plan, seconds=max(1, args.seconds))
    if args.concurrencies:
        plan = replace(plan, concurrencies=args.concurrencies)
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    only = set(args.only.split(",")) if args.only else None
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    on_sigterm = signal.signal(signal.SIGTERM, _terminate)
    on_sigint = signal.signal(signal.SIGINT, _interrupt)
    try:
        if args.costs:
            return execute_costs(args.out or RESULTS, only, work, started)
        return execute(plan, out, only, work, started, args.profile)
    except BenchError as error:
        if stopped_by:
            return stopped(stopped_by[0])
        print(f"bench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as stop:
        return stopped(signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, on_sigterm)
        signal.signal(signal.SIGINT, on_sigint)
        if args.keep:
            log(f"bench: work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def execute(plan: Plan, out: Path, only: set[str] | None, work: Path, started: float, profile: bool) -> int:
    wrk_path = wrk.ensure_wrk()
    variants = drivers()
    if only is not None:
        known = set(variants) | {reference.name for reference in references.ALL}
        if unknown := only - known:
            raise BenchError(
                f"--only: unknown {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})"
            )
        variants = [driver for driver in variants if driver in only]
        plan = replace(plan, references=tuple(r for r in plan.references if r.name in only))
    if not variants:
        raise BenchError("no variant to measure (the references need a variant's seeded database)")
    names = ", ".join(reference.name for reference in plan.references)
    log(f"bench: {plan.mode} run: variants {', '.join(variants)}; references {names}")
    with database.postgres_server() as db_server, ExitStack() as cleanup:
        targets = [prepare_variant(driver, work, db_server, cleanup) for driver in variants]
        targets = [*prepare_references(plan, work, targets), *targets]
        context = Context(db_server, wrk_path, work, profile)
        rows: list[dict[str, object]] = []
        for group in serve_together(targets, db_server):
            measure_group(group, plan, context, rows)
        about = machine.describe(database.server_version(db_server), wrk.version(wrk_path))
        about["background_busy_pct"] = context.background_busy_pct
        cost_paths: list[Path] = []
        if plan.mode == "full":
            defaults = [target for target in targets if target.kind == "variant"]
            cost_paths = measure_costs(defaults, work, db_server, cleanup, context, out, about)
    elapsed = time.monotonic() - started
    document = report.document(plan, about, targets, rows, context.proxies, elapsed, context.stuck_warmups)
    paths = report.write(document, out, context.profiles) + cost_paths
    whole = only is None and plan.concurrencies == FULL.concurrencies  # the README shows whole runs only
    if plan.mode == "full" and out.resolve() == RESULTS and whole:
        # The benchmark's own document holds the whole run; the template README its summary.
        document_block = report.readme_block(document, RESULTS.relative_to(BENCH).as_posix())
        if report.replace_block(BENCH / "README.md", report.README_START, report.README_END, document_block):
            paths.append(BENCH / "README.md")
        summary = report.summary_block(document, RESULTS.relative_to(TEMPLATE).as_posix())
        if report.replace_block(TEMPLATE / "README.md", report.SUMMARY_START, report.SUMMARY_END, summary):
            paths.append(TEMPLATE / "README.md")
    log(f"bench: done in {elapsed:.0f} s; wrote {', '.join(str(path) for path in paths)}")
    return 0


def measure_costs(
    defaults: list[Target],
    work: Path,
    db_server: str,
    cleanup: ExitStack,
    context: Context,
    out: Path,
    about: dict[str, object],
) -> list[Path]:
    """costs.py's comparisons beside each driver's default bake, and one worker under load; written
    to `out` and, for a run into bench/results/, to the benchmark's document."""
    without = [
        prepare_variant(target.name, work, db_server, cleanup, target.name + costs.WITHOUT_JOBS, jobs="none")
        for target in defaults
    ]
    rows: list[dict[str, Any]] = []
    for group in serve_together([*defaults, *without], db_server):
        measure_group(group, costs.PLAN, context, rows)
    first = defaults[0]
    rates = ", ".join(map(str, worker_load.RATES))
    log(f"bench: one worker of the {first.name} bake, offered {rates} jobs/s")
    worker = worker_load.measure(first.cwd / ".venv" / "bin", first.cwd, db_server, work)
    document = costs.document(about, [target.name for target in defaults], rows, worker)
    paths = costs.write(document, out)
    readme, block = BENCH / "README.md", costs.block(document)
    if out.resolve() == RESULTS and report.replace_block(readme, costs.START, costs.END, block):
        paths.append(readme)
    return paths


def execute_costs(out: Path, only: set[str] | None, work: Path, started: float) -> int:
    variants = [driver for driver in drivers() if only is None or driver in only]
    if not variants:
        raise BenchError(f"--only: no db_driver among {', '.join(sorted(only or ()))}")
    wrk_path = wrk.ensure_wrk()
    log(f"bench: costs: variants {', '.join(variants)}, each with jobs=none beside it")
    with database.postgres_server() as db_server, ExitStack() as cleanup:
        context = Context(db_server, wrk_path, work, profile=False)
        defaults = [prepare_variant(driver, work, db_server, cleanup) for driver in variants]
        about = machine.describe(database.server_version(db_server), wrk.version(wrk_path))
        paths = measure_costs(defaults, work, db_server, cleanup, context, out, about)
    log(f"bench: done in {time.monotonic() - started:.0f} s; wrote {', '.join(str(path) for path in paths)}")
    return 0
