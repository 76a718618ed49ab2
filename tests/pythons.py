"""The Pythons the `python_version` prompt offers, and where this machine has each one.

uv may not download interpreters here (UV_PYTHON_DOWNLOADS=never), so the variant tests hand uv an
interpreter by absolute path: `python3.X` on PATH if it really is 3.X (a pyenv shim may stand there
for a version pyenv does not have selected), else pyenv's newest 3.X. `python -m tests.pythons`
prints one line per offered version, which `.ci/run` shows; with `--install` it first installs each
offered version this machine lacks where the workplace's installer (../shared/tools/install-python,
beside the clone) can, and says "not tested here" of any it cannot.
"""

import argparse
import functools
import os
import shutil
import subprocess
from pathlib import Path

from .template import OPTIONS, TEMPLATE

OFFERED: list[str] = OPTIONS["python_version"]
DEFAULT = OFFERED[0]
BY_AGE = sorted(OFFERED, key=lambda version: tuple(map(int, version.split("."))))
# Every driver's suite runs on these; each other offered version runs the default driver's. The
# oldest is one of those: every bake's mypy checks the code as Python 3.11 reads it.
EVERY_DRIVER = sorted({DEFAULT, BY_AGE[-1]}, key=OFFERED.index)
INSTALLER = TEMPLATE.parent / "shared" / "tools" / "install-python"
INSTALLABLE = ("3.14", "3.15")  # what INSTALLER knows how to bring


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


def install_missing() -> None:
    """INSTALLER for each offered version it can bring that this machine has no interpreter for."""
    for version in OFFERED:
        if find(version) is None and version in INSTALLABLE and INSTALLER.exists():
            done = subprocess.run(["bash", str(INSTALLER), version], check=False, timeout=600)
            if done.returncode != 0:
                print(f"Python {version}: the installer failed (exit {done.returncode})")
            find.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.pythons", description=__doc__)
    parser.add_argument("--install", action="store_true", help="install missing Pythons where possible")
    if parser.parse_args().install:
        install_missing()
    for version in OFFERED:
        interpreter = find(version)
        role = " (the default)" if version == DEFAULT else ""
        role += ", every driver" if version in EVERY_DRIVER else ", the default driver"
        if interpreter:
            print(f"Python {version}{role}: baked suites run on {interpreter}")
        else:
            print(f"Python {version}{role}: not tested here, no interpreter for it on this machine")


if __name__ == "__main__":
    main()
