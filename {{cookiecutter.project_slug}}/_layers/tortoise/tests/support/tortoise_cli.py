"""Migrations applied the way a user applies them: the project's `tortoise` command, in a subprocess."""

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .standalone_clients import tables

PROJECT = Path(__file__).resolve().parents[2]
TORTOISE = Path(sys.executable).with_name("tortoise")  # the console script of this environment
APP = "models"


# The run's environment as collection leaves it: the CLI must not see what a test sets for itself
# (a bad setting, say).
INHERITED = dict(os.environ)
# makemigrations compares the models with the migration files and never connects; a URL on a port
# nothing listens on (9, discard) would make a Tortoise that did connect fail at once, not touch data.
NOT_CONNECTED = "postgresql://drift@127.0.0.1:9/unused"


def run_tortoise(url: str, *arguments: str, cwd: Path = PROJECT) -> str:
    """Run `tortoise ARGUMENTS` against the database in `url`; fail with its output if it fails."""
    process = subprocess.run(  # noqa: S603  # this environment's own console script
        [TORTOISE, *arguments],
        cwd=cwd,
        env={**INHERITED, "DATABASE_URL": url, "ENVIRONMENT": "test"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        check=False,
    )
    if process.returncode != 0:
        command = " ".join(arguments)
        raise AssertionError(f"`tortoise {command}` exited {process.returncode}:\n{process.stdout}")
    return process.stdout


async def tortoise(url: str, *arguments: str, cwd: Path = PROJECT) -> str:
    # A process of about a second, waited for on a worker thread: the loop stays free.
    return await asyncio.to_thread(run_tortoise, url, *arguments, cwd=cwd)


def drift() -> list[str]:
    """What `tortoise makemigrations` would write: it has no check mode, so it runs on a scratch copy
    of migrations/ and any new file it leaves there is the difference. It reads only the code and the
    migration files."""
    checked_in = {path.name for path in (PROJECT / "migrations").glob("*.py")}
    with tempfile.TemporaryDirectory(prefix="drift-") as scratch:
        root = Path(scratch)
        shutil.copytree(
            PROJECT / "migrations", root / "migrations", ignore=shutil.ignore_patterns("__pycache__")
        )
        shutil.copy(PROJECT / "pyproject.toml", root)  # where the CLI finds its config
        run_tortoise(NOT_CONNECTED, "makemigrations", cwd=root)
        return [
            f"makemigrations would write {path.name}:\n{path.read_text()}"
            for path in sorted((root / "migrations").glob("*.py"))
            if path.name not in checked_in
        ]


class TortoiseMigrator:
    new_migration = "uv run makemigrations --name describe_the_change"

    def __init__(self, url: str) -> None:
        self.url = url

    async def upgrade(self) -> None:
        await tortoise(self.url, "migrate")

    async def downgrade(self) -> None:
        await tortoise(self.url, "downgrade", APP)  # no target: every migration of the app

    async def drift(self) -> list[str]:
        return await asyncio.to_thread(drift)

    async def tables(self) -> set[str]:
        return await tables(self.url)
