"""`uv run dev`: a local database if none is configured, migrations applied, and a server with reload."""

import os
import subprocess
import sys

import uvicorn

from . import local_database
from .migrate import migrate_command

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"


def main() -> None:
    settings = local_database.command_settings("dev")
    if settings.environment == "production":
        raise SystemExit("error: `dev` is for local work; in production run uvicorn and migrations yourself")
    # Children (the reloader's workers, the migration command) read it from the environment.
    os.environ["DATABASE_URL"] = settings.postgres_url()
    migrated = subprocess.run(migrate_command(), check=False)  # noqa: S603 (a fixed command)
    if migrated.returncode != 0:
        raise SystemExit(f"error: the migrations failed (exit {migrated.returncode}), see above")
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    print(f"dev: serving http://{host}:{port} (API docs at /docs)", file=sys.stderr)
    uvicorn.run(APP_FACTORY, factory=True, reload=True, host=host, port=port)
