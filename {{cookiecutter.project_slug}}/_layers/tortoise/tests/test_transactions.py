"""Tortoise's own idioms for a write: one statement commits by itself, and several go inside
`in_transaction()`, which is one database transaction in the tests' per-test transaction and on the
app's own pool alike: a failure leaves nothing, a commit keeps everything."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.db.tortoise_config import CONNECTION

from .support import probe
from .support.protocols import Sql


@dataclass
class Path:
    database: Database
    sql: Sql  # sees what the path's writes committed
    tag: str = field(default_factory=lambda: f"transaction-{uuid.uuid4()}")  # in the names it writes

    async def names_stored(self) -> list[str]:
        rows = await self.sql(f"SELECT name FROM {probe.TABLE} WHERE name LIKE '{self.tag}%'")
        return sorted(name for (name,) in rows)

    async def create_two(self, first: str, second: str) -> None:
        with self.database.session():
            async with in_transaction(CONNECTION) as connection:
                for name in (first, second):
                    await connection.execute_query(f"INSERT INTO {probe.TABLE} (name) VALUES ($1)", [name])


@pytest.fixture
def tests_session(app: FastAPI, sql: Sql) -> Path:
    return Path(app.state.database, sql)


@pytest.fixture
async def apps_pool(app: FastAPI, live_sql: Sql) -> AsyncIterator[Path]:
    committed = Path(app.state.database, live_sql)
    yield committed
    await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE '{committed.tag}%'")


@pytest.fixture(params=["tests_session", "apps_pool"])
def path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.getfixturevalue(request.param)
    return path


async def test_a_write_that_fails_half_way_leaves_nothing(path: Path) -> None:
    with pytest.raises(IntegrityError):  # the second row's name is the first's
        await path.create_two(path.tag, path.tag)

    assert await path.names_stored() == []


async def test_a_committed_write_keeps_every_row(path: Path) -> None:
    await path.create_two(f"{path.tag}-1", f"{path.tag}-2")

    assert await path.names_stored() == [f"{path.tag}-1", f"{path.tag}-2"]
