"""Writes are one database transaction however they are written, `session.begin()` or the usual
`session.add(...)` then `commit()`, in the tests' per-test transaction and on the app's own engine
alike: a failure leaves nothing, a commit keeps everything. Between writes the app's connections
rest in autocommit, so a read costs no BEGIN and ROLLBACK."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.db import Database, open_database

from .support import probe
from .support.probe_model import ProbeRecord
from .support.protocols import Sql


async def add_flush_add_commit(session: AsyncSession, first: ProbeRecord, second: ProbeRecord) -> None:
    session.add(first)
    await session.flush()  # the first INSERT has run: only a transaction can take it back now
    session.add(second)
    await session.commit()


async def read_then_add_and_commit(session: AsyncSession, first: ProbeRecord, second: ProbeRecord) -> None:
    await session.scalar(select(func.count()).select_from(ProbeRecord))  # the connection is taken for a read
    await add_flush_add_commit(session, first, second)


async def begin_block(session: AsyncSession, first: ProbeRecord, second: ProbeRecord) -> None:
    async with session.begin():
        session.add(first)
        await session.flush()
        session.add(second)


WRITES = [add_flush_add_commit, read_then_add_and_commit, begin_block]
Write = Callable[[AsyncSession, ProbeRecord, ProbeRecord], Awaitable[None]]


@dataclass
class Path:
    database: Database
    sql: Sql  # sees what the path's sessions committed
    tag: str = field(default_factory=lambda: f"transaction-{uuid.uuid4()}")  # in the names it writes

    async def names_stored(self) -> list[str]:
        rows = await self.sql(f"SELECT name FROM {probe.TABLE} WHERE name LIKE '{self.tag}%'")
        return sorted(name for (name,) in rows)


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
    async with path.database.session() as session:
        with pytest.raises(IntegrityError):  # the second row's name is the first's
            await write(session, named(path.tag), named(path.tag))

    assert await path.names_stored() == []


@pytest.mark.parametrize("write", WRITES)
async def test_a_committed_write_keeps_every_row(path: Path, write: Write) -> None:
    async with path.database.session() as session:
        await write(session, named(f"{path.tag}-1"), named(f"{path.tag}-2"))

    assert await path.names_stored() == [f"{path.tag}-1", f"{path.tag}-2"]


async def test_a_connection_rests_in_autocommit_after_a_write(settings: Settings, live_sql: Sql) -> None:
    """Two reads of one session see two transactions' start times, on the one connection a write
    has just used: the write's transaction did not stay with the connection."""
    tag = f"transaction-{uuid.uuid4()}"
    one_connection = settings.model_copy(update={"db_pool_size": 1, "db_max_overflow": 0})
    try:
        async with open_database(one_connection) as database:
            async with database.session() as session:
                await add_flush_add_commit(session, named(f"{tag}-1"), named(f"{tag}-2"))
            async with database.session() as session:
                first = await session.scalar(select(func.now()))
                await asyncio.sleep(0.01)
                second = await session.scalar(select(func.now()))
    finally:
        await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE '{tag}%'")

    assert first != second
