"""Whether the database a URL names can be used, said in one line when it cannot: the address that does
not answer, or the user and database the server refused and why; never the password. The commands ask
before they migrate or serve, the test run before its first test."""

import socket
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..core.settings import Settings
from .connect_once import fetch
from .refused import Refused


class Unusable(Exception):
    """Why the database cannot be used, as the one line an operator reads."""


def socket_path(url: str) -> Path | None:
    """The unix socket a URL names (libpq's ?host=/dir, or no host at all), else None for TCP."""
    parts = urlsplit(url)
    directory = parse_qs(parts.query).get("host", [""])[0]
    if directory.startswith("/") or (not parts.hostname and not directory):
        return Path(directory or "/var/run/postgresql") / f".s.PGSQL.{parts.port or 5432}"
    return None


def address(url: str) -> str:
    parts = urlsplit(url)
    return str(socket_path(url) or f"{parts.hostname}:{parts.port or 5432}")


def check_answers(url: str, name: str, timeout: float) -> None:
    """Unusable unless something accepts connections where `url` points (named `name` in the line)."""
    path = socket_path(url)
    parts = urlsplit(url)
    try:
        if path is not None:
            with socket.socket(socket.AF_UNIX) as unix:
                unix.settimeout(timeout)
                unix.connect(str(path))
        else:
            socket.create_connection((parts.hostname, parts.port or 5432), timeout=timeout).close()
    except OSError as error:
        raise Unusable(f"{name} names {address(url)}, which does not answer: {error}") from None


def query(url: str, name: str, timeout: float, statement: str) -> list[tuple[Any, ...]]:
    """The rows of `statement` on one connection of this driver's own. Unusable when nothing answers
    or the server refuses the session; StatementFailed when the statement fails."""
    check_answers(url, name, timeout)
    try:
        return fetch(url, timeout, statement)
    except Refused as refused:
        parts = urlsplit(url)
        user = unquote(parts.username) if parts.username else "(the default user)"
        database = unquote(parts.path.lstrip("/")) or "(the default database)"
        raise Unusable(
            f"{name} names {address(url)}, which refused user {user} on database {database}: {refused}"
        ) from None


def usable_or_exit(settings: Settings) -> None:
    """End the command in one line unless the database in the settings opens a session."""
    try:
        query(settings.postgres_url(), "DATABASE_URL", settings.db_connect_timeout, "SELECT 1")
    except Unusable as error:
        raise SystemExit(f"error: {error}") from None
