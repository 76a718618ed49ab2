"""One PNG: req/s and p99 against concurrency, a panel per scenario, a row per added latency."""

from pathlib import Path
from typing import Any

from .rows import find
from .wrk import SCENARIO_TITLES

STYLES = {"ceiling": ("black", "--"), "fastapi-asyncpg": ("grey", "--"), "antipattern": ("tab:red", ":")}


def draw(doc: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan = doc["plan"]
    scenarios, latencies, concurrencies = plan["scenarios"], plan["latencies_ms"], plan["concurrencies"]
    names = [target["name"] for target in doc["targets"]]
    palette = iter(["tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:olive"])
    plain_of = {target["name"]: target.get("plain_of") for target in doc["targets"]}
    styles = {name: STYLES.get(name) or (next(palette), "-") for name in names if not plain_of[name]}
    for name in names:  # a plain counterpart: its layer's colour, dash-dotted
        if plain_of[name]:
            layer = styles.get(plain_of[name])
            styles[name] = (layer[0] if layer else next(palette), "-.")
    figure, axes = plt.subplots(
        2 * len(latencies),
        len(scenarios),
        figsize=(4 * len(scenarios), 3.2 * 2 * len(latencies)),
        squeeze=False,
    )
    positions = range(len(concurrencies))
    for row_index, latency in enumerate(latencies):
        added = "no added latency" if not latency else f"+{latency:g} ms per DB round trip"
        for column, scenario in enumerate(scenarios):
            rate, tail = axes[2 * row_index][column], axes[2 * row_index + 1][column]
            for name in names:
                runs = [find(doc["runs"], name, latency, scenario, c) for c in concurrencies]
                if not any(runs):
                    continue
                color, line = styles[name]
                rps = [run["rps"] if run else float("nan") for run in runs]
                p99 = [run["p99_ms"] if run and run["requests"] else float("nan") for run in runs]
                marker = "x" if plain_of[name] else "o"  # told apart even where a line has one point
                rate.plot(positions, rps, line, marker=marker, color=color, label=name)
                tail.plot(positions, p99, line, marker=marker, color=color, label=name)
            rate.set_title(f"{SCENARIO_TITLES[scenario]}, {added}", fontsize=9)
            rate.set_ylabel("req/s")
            rate.set_ylim(bottom=0)
            tail.set_ylabel("p99 ms (log)")
            tail.set_yscale("log")
            for axis in (rate, tail):
                axis.set_xticks(list(positions), [f"c={c}" for c in concurrencies])
                axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    about = doc["machine"]
    rounds = plan.get("rounds", 1)
    per_point = f"best of {rounds} x {plan['seconds']:g} s" if rounds > 1 else f"{plan['seconds']:g} s"
    figure.suptitle(
        f"{doc['mode']} run, {about['nproc']} cores ({about['cpu']}), Python {about['python']},"
        f" PostgreSQL {about['postgresql']}, {per_point} per point ({plan['seconds_at_256']} s at c=256)",
        fontsize=10,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)
