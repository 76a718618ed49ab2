"""Bake one variant with cookiecutter and install it the way production would: `uv sync --no-dev`."""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .drivers import TEMPLATE
from .errors import BenchError

UV = os.environ.get("UV") or shutil.which("uv") or "uv"
# What the served process needs beyond the project: uvicorn[standard] brings both, this makes sure.
SERVER_EXTRAS = ("uvloop", "httptools")
# Recorded beside the figures, so a run says what it measured.
VERSIONED = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "asyncpg",
    "tortoise-orm",
    "psycopg",
    "psycopg-pool",
)


@dataclass(frozen=True)
class Installed:
    """A project directory with its own virtual environment, ready to serve."""

    name: str
    root: Path
    package: str

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.root / ".venv" / "bin"


def clean_env(**extra: str) -> dict[str, str]:
    """The project's own environment: not the harness's venv, no inherited database."""
    dropped = {"VIRTUAL_ENV", "TEST_DATABASE_URL", "DATABASE_URL", "PYTHONPATH"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


def run(command: list[str], cwd: Path, what: str, timeout: float = 900, **env: str) -> str:
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=clean_env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: no answer within {timeout:.0f} s") from None
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["(no output)"]
        raise BenchError(f"{what} failed (exit {done.returncode}): {tail[0]}")
    return done.stdout


def bake(driver: str, into: Path, name: str | None = None, **answers: str) -> Installed:
    """Bake with the defaults, this driver and any other answers, then `uv sync --no-dev` in a clean
    environment."""
    name = name or driver
    output = into / name
    output.mkdir(parents=True, exist_ok=True)
    # In a child process, so the hooks' messages stay out of the run's output.
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(output), str(TEMPLATE)]
    given = [f"{key}={value}" for key, value in {"db_driver": driver, **answers}.items()]
    run([*command, *given], into, f"baking {' '.join(given)}", VIRTUAL_ENV=sys.prefix)
    root = next(path for path in output.iterdir() if path.is_dir())
    run([UV, "sync", "--no-dev"], root, f"uv sync of the {name} variant")
    project = Installed(name, root, next((root / "src").iterdir()).name)
    ensure_server_extras(project.python, root)
    return project


def ensure_server_extras(python: Path, cwd: Path) -> None:
    missing = run(
        [
            str(python),
            "-c",
            f"import importlib.util as u; print(*[m for m in {SERVER_EXTRAS!r} if not u.find_spec(m)])",
        ],
        cwd,
        "checking uvloop and httptools",
    ).split()
    if missing:
        run([UV, "pip", "install", "--python", str(python), *missing], cwd, f"installing {' '.join(missing)}")


def versions(python: Path, cwd: Path) -> dict[str, str]:
    script = (
        "import importlib.metadata as m, json, platform\n"
        "found = {'python': platform.python_version()}\n"
        f"for name in {VERSIONED!r}:\n"
        "    try: found[name] = m.version(name)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(found))"
    )
    found: dict[str, str] = json.loads(run([str(python), "-c", script], cwd, "reading package versions"))
    return found
