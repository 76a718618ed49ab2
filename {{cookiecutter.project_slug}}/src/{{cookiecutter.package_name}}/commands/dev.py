"""`uv run dev`: a local database if none is configured, migrations applied, and a server with reload."""

import argparse
import os
import subprocess
import sys

import uvicorn

from . import local_database
from .database_check import usable_or_exit
from .listening import free_or_exit
from .migrate import migrate_command

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dev",
        description="Apply the migrations and serve the app with reload, on the database in DATABASE_URL"
        " or, unset, a local one in .devdb/.",
    )
    parser.add_argument("--host", help="the address to listen on (default: HOST, else 127.0.0.1)")
    parser.add_argument("--port", type=int, help="the port to listen on (default: PORT, else 8000)")
    return parser


def main() -> None:
    arguments = parser().parse_args()
    settings = local_database.command_settings("dev")
    if settings.environment == "production":
        raise SystemExit("error: `dev` is for local work; in production run uvicorn and migrations yourself")
    host = settings.host if arguments.host is None else arguments.host
    port = settings.port if arguments.port is None else arguments.port
    usable_or_exit(settings)
    free_or_exit(host, port, "pick another with --port")
    # Children (the reloader's workers, the migration command) read it from the environment.
    os.environ["DATABASE_URL"] = settings.postgres_url()
    migrated = subprocess.run(migrate_command(), check=False)  # noqa: S603 (a fixed command)
    if migrated.returncode != 0:
        raise SystemExit(f"error: the migrations failed (exit {migrated.returncode}), see above")
    print(f"dev: serving http://{host}:{port} (API docs at /docs)", file=sys.stderr)
    uvicorn.run(APP_FACTORY, factory=True, reload=True, host=host, port=port)
