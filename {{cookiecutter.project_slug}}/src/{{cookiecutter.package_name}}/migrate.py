"""`migrate`: bring the database in DATABASE_URL to the latest migration with the driver's own tool."""

import os

from .db import MIGRATE_COMMAND


def main() -> None:
    # exec, not a child process: in a container the tool gets the signals and its exit code is ours.
    os.execvp(MIGRATE_COMMAND[0], list(MIGRATE_COMMAND))  # noqa: S606 (a fixed command)
