"""Writes are one database transaction however they are written, `session.begin()` or the usual
`session.add(...)` then `commit()`, in the tests' per-test transaction and on the app's own engine
alike: a failure leaves nothing, a commit keeps everything. Between writes the app's connections
rest in autocommit, so a read costs no BEGIN and ROLLBACK."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.db import Database, open_database

from .support import probe
from .support.probe_model import ProbeRecord
from .support.protocols import Sql


def add_flush_add_commit(session: Session, first: ProbeRecord, second: ProbeRecord) -> None:
    session.add(first)
    session.flush()  # the first INSERT has run: only a transaction can take it back now
    session.add(second)
    session.commit()


def read_then_add_and_commit(session: Session, first: ProbeRecord, second: ProbeRecord) -> None:
    session.scalar(select(func.count()).select_from(ProbeRecord))  # the connection is taken for a read
    add_flush_add_commit(session, first, second)


def begin_block(session: Session, first: ProbeRecord, second: ProbeRecord) -> None:
    with session.begin():
        session.add(first)
        session.flush()
        session.add(second)


WRITES = [add_flush_add_commit, read_then_add_and_commit, begin_block]
Write = Callable[[Session, ProbeRecord, ProbeRecord], None]


@dataclass
class Path:
    database: Database
    sql: Sql  # sees what the path's sessions committed
    tag: str = field(default_factory=lambda: f"transaction-{uuid.uuid4()}")  # in the names it writes

    async def names_stored(self) -> list[str]:
        rows = await self.sql(f"SELECT name FROM {probe.TABLE} WHERE name LIKE '{self.tag}%'")
        return sorted(name for (name,) in rows)

    async def run(self, write: Write, first: ProbeRecord, second: ProbeRecord) -> None:
        def in_a_session() -> None:
            with self.database.sessionmaker() as session:
                write(session, first, second)

        await asyncio.to_thread(in_a_session)


@pytest.fixture
def tests_session(app: FastAPI, sql: Sql) -> Path:
    return Path(app.state.database, sql)


@pytest.fixture
async def apps_engine(app: FastAPI, live_sql: Sql) -> AsyncIterator[Path]:
    committed = Path(app.state.database, live_sql)
    yield committed
    await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE '{committed.tag}%'")


@pytest.fixture(params=["tests_session", "apps_engine"])
def path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(request.param)
    return path


def named(name: str) -> ProbeRecord:
    return ProbeRecord(name=name)


@pytest.mark.parametrize("write", WRITES)
async def test_a_write_that_fails_half_way_leaves_nothing(path: Path, write: Write) -> None:
    with pytest.raises(IntegrityError):  # the second row's name is the first's
        await path.run(write, named(path.tag), named(path.tag))

    assert await path.names_stored() == []


@pytest.mark.parametrize("write", WRITES)
async def test_a_committed_write_keeps_every_row(path: Path, write: Write) -> None:
    await path.run(write, named(f"{path.tag}-1"), named(f"{path.tag}-2"))

    assert await path.names_stored() == [f"{path.tag}-1", f"{path.tag}-2"]


def write_then_read_twice(database: Database, tag: str) -> tuple[Any, Any]:
    with database.sessionmaker() as session:
        add_flush_add_commit(session, named(f"{tag}-1"), named(f"{tag}-2"))
    with database.sessionmaker() as session:
        first = session.scalar(select(func.now()))
        time.sleep(0.01)  # on a worker thread
        return first, session.scalar(select(func.now()))


async def test_a_connection_rests_in_autocommit_after_a_write(settings: Settings, live_sql: Sql) -> None:
    """Two reads of one session see two transactions' start times, on the one connection a write
    has just used: the write's transaction did not stay with the connection."""
    tag = f"transaction-{uuid.uuid4()}"
    one_connection = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    try:
        async with open_database(one_connection) as database:
            first, second = await asyncio.to_thread(write_then_read_twice, database, tag)
    finally:
        await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE '{tag}%'")

    assert first != second
