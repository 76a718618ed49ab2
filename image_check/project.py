"""A baked project to build: cookiecutter with one db_driver, then `uv lock`, the step the README
asks for before the first `docker compose up --build`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.drivers import TEMPLATE

from .errors import ImageCheckError, last_line

UV = os.environ.get("UV") or shutil.which("uv") or "uv"


def bake(driver: str, python_version: str, work: Path) -> Path:
    """The project folder, baked under WORK, with cookiecutter's replay files there too; no uv.lock yet."""
    output = work / "projects" / driver
    output.mkdir(parents=True)
    config = work / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {work / 'replay'}\ncookiecutters_dir: {work / 'cookiecutters'}\n")
    env = {**os.environ, "COOKIECUTTER_CONFIG": str(config)}
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "--output-dir", str(output), str(TEMPLATE)]
    answers = [f"db_driver={driver}", f"python_version={python_version}"]
    run([*command, *answers], output, env, f"baking db_driver={driver}")
    [project] = [path for path in output.iterdir() if path.is_dir()]
    return project


def lock(project: Path, work: Path) -> None:
    env = {**os.environ, "UV_CACHE_DIR": str(work / "uv-cache"), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    run([UV, "lock", "--quiet"], project, env, f"uv lock in {project.name}")


def run(command: list[str], cwd: Path, env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise ImageCheckError(
            f"{what} failed (exit {done.returncode}): {last_line(done.stdout + done.stderr)}"
        )
