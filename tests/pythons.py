"""The Pythons the `python_version` prompt offers, and where this machine has each one.

uv may not download interpreters here (UV_PYTHON_DOWNLOADS=never), so the variant tests hand uv an
interpreter by absolute path: `python3.X` on PATH if it really is 3.X (a pyenv shim may stand there
for a version pyenv does not have selected), else pyenv's newest 3.X. `python -m tests.pythons`
prints one line per offered version, which `.ci/run` shows.
"""

import functools
import os
import shutil
import subprocess
from pathlib import Path

from .template import OPTIONS

OFFERED: list[str] = OPTIONS["python_version"]
DEFAULT = OFFERED[0]


def version_of(interpreter: str) -> str | None:
    try:
        answer = subprocess.run(
            [interpreter, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return answer.stdout.strip() if answer.returncode == 0 else None


def candidates(version: str) -> list[str]:
    on_path = shutil.which(f"python{version}")
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    releases = sorted(
        pyenv.glob(f"{version}.*/bin/python{version}"),
        key=lambda path: [int(part) if part.isdigit() else -1 for part in path.parts[-3].split(".")],
        reverse=True,
    )
    # A virtual environment's python links to the interpreter it was made from: name that one.
    return [os.path.realpath(path) for path in ([on_path] if on_path else []) + releases]


@functools.cache
def find(version: str) -> str | None:
    """An interpreter for `version` ("3.12"), by absolute path, or None if this machine has none."""
    return next((path for path in candidates(version) if version_of(path) == version), None)


def main() -> None:
    for version in OFFERED:
        interpreter = find(version)
        role = " (the default)" if version == DEFAULT else ""
        if interpreter:
            print(f"Python {version}{role}: baked suites run on {interpreter}")
        else:
            print(f"Python {version}{role}: not tested here, no interpreter for it on this machine")


if __name__ == "__main__":
    main()
