"""Tortoise's configuration, built from Settings; the app and the `tortoise` CLI read the same one."""

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..commands.local_database import command_settings
from ..core.settings import Settings

CONNECTION = "default"
APP = "models"
ENGINE = "{{ cookiecutter.package_name }}.db.client"  # Tortoise's asyncpg backend, made fault-tolerant


def credentials(settings: Settings) -> dict[str, Any]:
    """The asyncpg connection and pool arguments, from the postgresql:// URL and the pool settings."""
    url = urlsplit(settings.postgres_url())
    query = parse_qs(url.query)
    # libpq puts a unix socket directory in ?host=; asyncpg takes it as the host itself. What the
    # URL leaves out stays None, so asyncpg falls back to PG* variables and defaults as libpq does.
    host = query["host"][0] if "host" in query else url.hostname
    arguments: dict[str, Any] = {
        "host": host,
        "port": int(query["port"][0]) if "port" in query else url.port or 5432,
        "user": unquote(url.username) if url.username else None,
        "password": unquote(url.password) if url.password else None,
        "database": unquote(url.path.lstrip("/")) or None,
        # asyncpg opens `minsize` connections with the pool and never holds more than `maxsize`:
        # the same kept/burst split as pool size and overflow. It keeps a connection it opened
        # until it has been idle this long, and never closes one for idleness below `minsize`.
        "minsize": settings.db_pool_size,
        "maxsize": settings.pool_capacity,
        "max_inactive_connection_lifetime": settings.db_pool_idle_timeout,
        "acquire_timeout": settings.db_pool_timeout,
        "timeout": settings.db_connect_timeout,
        "server_settings": {"application_name": "{{ cookiecutter.project_slug }}"},
    }
    if "sslmode" in query:
        arguments["ssl"] = query["sslmode"][0]
    if not settings.db_pgbouncer:
        # Enforced by the server, so a runaway query is cancelled there, not only abandoned here.
        statement_ms = round(settings.db_statement_timeout * 1000)
        arguments["server_settings"]["statement_timeout"] = str(statement_ms)
    else:
        # PgBouncer refuses a statement_timeout startup parameter: set it on the database role
        # (ALTER ROLE ... SET statement_timeout) instead. Transaction pooling hands each
        # transaction another server connection: no named prepared statement may outlive one.
        arguments["statement_cache_size"] = 0
    return arguments


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {CONNECTION: {"engine": ENGINE, "credentials": credentials(settings)}},
        "apps": {
            APP: {
                "models": ["{{ cookiecutter.package_name }}.models"],
                "default_connection": CONNECTION,
                # The top-level migrations/ folder: `tortoise` puts its working directory on the path.
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def __getattr__(name: str) -> dict[str, Any]:
    """`TORTOISE_ORM`, read by the `tortoise` CLI ([tool.tortoise] in pyproject.toml), is built when
    asked for, so importing this module reads no environment. A bad setting ends the command in one
    line; no DATABASE_URL, outside production, means the local database."""
    if name != "TORTOISE_ORM":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return tortoise_config(command_settings("tortoise"))
