"""The command that applies every migration with this driver's tool: run by `migrate` and `dev`."""

from pathlib import Path

MIGRATE_COMMAND = ("tortoise", "migrate")
MIGRATIONS = Path("migrations")  # where the config puts them, from the project root
