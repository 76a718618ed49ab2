"""`migrate`: bring the database in DATABASE_URL to the latest migration with the driver's own tool,
or with --check only say whether it is there."""

import argparse
import os
import sys
from pathlib import Path

from ..core.settings import Settings, settings_or_exit
from . import local_database
from .database_check import Unusable, query, usable_or_exit
from .migration_tool import MIGRATE_COMMAND
from .refused import StatementFailed

UNDEFINED_TABLE = "42P01"  # no migration table: nothing was ever applied


def migrate_command() -> list[str]:
    """MIGRATE_COMMAND with the tool of this environment, found beside its Python: also when the
    entry point runs as .venv/bin/<name>, without that folder on PATH."""
    tool = Path(sys.executable).with_name(MIGRATE_COMMAND[0])
    return [str(tool) if tool.exists() else MIGRATE_COMMAND[0], *MIGRATE_COMMAND[1:]]


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="migrate",
        description="Apply every migration to the database in DATABASE_URL (unset outside production:"
        " the local database of `uv run dev`).",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="apply nothing; print the database's revision and the latest one, and exit 1 if it is behind",
    )
    return parser


def check(settings: Settings) -> str | None:
    """None, having printed the revision, when the database is at the latest migration; else the one
    line that says how far behind it is."""
    # Loaded for --check alone: applying hands over to the tool, which loads the ORM itself.
    from .revisions import APPLIED, pending

    try:
        rows = query(settings.postgres_url(), "DATABASE_URL", settings.db_connect_timeout, APPLIED)
    except Unusable as error:
        return f"error: {error}"
    except StatementFailed as error:
        if error.sqlstate != UNDEFINED_TABLE:
            return f"error: the database's migrations cannot be read: {error}"
        rows = []
    applied = [str(row[0]) for row in rows]
    heads, missing = pending(applied)
    current, head = ", ".join(applied) or "no migration", ", ".join(heads) or "no migration"
    if missing:
        return f"migrate: the database is at {current}, the latest is {head}: {len(missing)} to apply"
    print(f"migrate: the database is at the latest migration, {head}")
    return None


def main() -> None:
    arguments = parser().parse_args()
    if arguments.check:
        raise SystemExit(check(local_database.command_settings("migrate")))
    # A bad setting or an unusable database is said here in one line, before the tool loads the ORM
    # and the models to say it in a traceback. With no URL the tool starts the local database itself.
    settings = settings_or_exit()
    if settings.database_url is not None:
        usable_or_exit(settings)
    command = migrate_command()
    # exec, not a child process: in a container the tool gets the signals and its exit code is ours.
    os.execvp(command[0], command)  # noqa: S606 (a fixed command)
