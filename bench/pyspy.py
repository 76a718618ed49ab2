"""Optional (`--profile`): py-spy samples the served process during one measured run, and the
samples are summed up per function into a short text file beside the results."""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from .bake import UV

SHORTEN = re.compile(r"/\S*?/(site-packages|lib/python3\.\d+|src)/")
# Idle threads py-spy still samples (the threadpool's workers waiting for work): left out of the shares.
WAITING = ("Condition.wait (threading.py)", "Event.wait (threading.py)")


def command() -> list[str]:
    found = shutil.which("py-spy")
    return [found] if found else [UV, "tool", "run", "py-spy"]


def start(pid: int, seconds: int, raw: Path) -> subprocess.Popen[str]:
    # --nonblocking: pausing the process 250 times a second (with its 40 idle threadpool threads) slows
    # it tenfold; some stacks come out cut short instead, so read the shares, not the totals.
    args = ["record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250", "--nonblocking"]
    args += ["--format", "raw", "--output", str(raw)]
    return subprocess.Popen([*command(), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def summarise(raw: Path, title: str, top: int = 45) -> str:
    """Inclusive and self shares of the samples, by function (line numbers dropped)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [SHORTEN.sub("", re.sub(r":\d+\)$", ")", frame)) for frame in stack.split(";")]
        if frames[-1] in WAITING:
            continue
        for frame in set(frames):
            inclusive[frame] += samples
        own[frames[-1]] += samples
        total += samples
    lines = [
        f"# {title}",
        f"# {total} samples (py-spy, 250 Hz, --nonblocking; idle worker threads left out); share of samples",
        "",
        "## inclusive",
    ]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)] if total else []
    lines += ["", "## self"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top // 2)] if total else []
    return "\n".join(lines) + "\n"
