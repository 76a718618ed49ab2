"""Migrations applied the way a user applies them: the project's `tortoise` command, in a subprocess."""

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .standalone_clients import tables

PROJECT = Path(__file__).resolve().parents[1]
TORTOISE = Path(sys.executable).with_name("tortoise")  # the console script of this environment
APP = "models"


async def tortoise(url: str, *arguments: str, cwd: Path = PROJECT) -> str:
    """Run `tortoise ARGUMENTS` against the database in `url`; fail with its output if it fails."""
    environment = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test"}
    process = await asyncio.create_subprocess_exec(
        TORTOISE,
        *arguments,
        cwd=cwd,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"`tortoise {' '.join(arguments)}` exited {process.returncode}:\n{text}")
    return text


class TortoiseMigrator:
    def __init__(self, url: str) -> None:
        self.url = url

    async def upgrade(self) -> None:
        await tortoise(self.url, "migrate")

    async def downgrade(self) -> None:
        await tortoise(self.url, "downgrade", APP)  # no target: every migration of the app

    async def drift(self) -> list[str]:
        """What `tortoise makemigrations` would write: it has no check mode, so it runs on a scratch
        copy of migrations/ and any new file it leaves there is the difference. It compares the
        models with the migration files, not with a database: nothing is migrated first (a `tortoise`
        process costs a second)."""
        checked_in = {path.name for path in (PROJECT / "migrations").glob("*.py")}
        with tempfile.TemporaryDirectory(prefix="drift-") as scratch:
            root = Path(scratch)
            shutil.copytree(
                PROJECT / "migrations", root / "migrations", ignore=shutil.ignore_patterns("__pycache__")
            )
            shutil.copy(PROJECT / "pyproject.toml", root)  # where the CLI finds its config
            await tortoise(self.url, "makemigrations", cwd=root)
            return [
                f"makemigrations would write {path.name}:\n{path.read_text()}"
                for path in sorted((root / "migrations").glob("*.py"))
                if path.name not in checked_in
            ]

    async def tables(self) -> set[str]:
        return await tables(self.url)
