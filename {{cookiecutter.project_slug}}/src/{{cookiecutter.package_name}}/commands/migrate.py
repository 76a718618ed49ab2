"""`migrate`: bring the database in DATABASE_URL to the latest migration with the driver's own tool."""

import os
import sys
from pathlib import Path

from ..core.settings import settings_or_exit
from .migration_tool import MIGRATE_COMMAND


def migrate_command() -> list[str]:
    """MIGRATE_COMMAND with the tool of this environment, found beside its Python: also when the
    entry point runs as .venv/bin/<name>, without that folder on PATH."""
    tool = Path(sys.executable).with_name(MIGRATE_COMMAND[0])
    return [str(tool) if tool.exists() else MIGRATE_COMMAND[0], *MIGRATE_COMMAND[1:]]


def main() -> None:
    # A bad setting is refused here, before the tool loads the ORM and the models to say the same.
    settings_or_exit()
    command = migrate_command()
    # exec, not a child process: in a container the tool gets the signals and its exit code is ours.
    os.execvp(command[0], command)  # noqa: S606 (a fixed command)
