"""`uv run makemigrations`: Tortoise's `tortoise makemigrations` (same arguments), then ruff on the files
it wrote, so a new migration passes the project's own checks as written; Tortoise has no post-write
hook of its own."""

import subprocess
import sys

from tortoise.cli import cli

from .migration_tool import MIGRATIONS


def tidy(paths: list[str]) -> None:
    """Imports sorted and fixed, then formatted: what `ruff check` and `ruff format --check` ask for.
    Through `python -m ruff`, the ruff of this environment, wherever its binary lives."""
    ruff = [sys.executable, "-m", "ruff"]
    subprocess.run([*ruff, "check", "--fix", "--quiet", *paths], check=False)  # noqa: S603 (fixed)
    subprocess.run([*ruff, "format", "--quiet", *paths], check=False)  # noqa: S603 (fixed)


def main() -> None:
    before = set(MIGRATIONS.glob("*.py"))
    sys.argv = ["tortoise", "makemigrations", *sys.argv[1:]]
    try:
        cli.main()  # the `tortoise` command itself; it ends in SystemExit with its status
    finally:
        written = sorted(str(path) for path in set(MIGRATIONS.glob("*.py")) - before)
        if written:
            tidy(written)
