"""The app's connections rest in autocommit, so a read costs no BEGIN and ROLLBACK; `session.begin()`
is still one database transaction, and a write outside it is refused rather than committed
statement by statement. On the app's own engine, against committed data."""

import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import InvalidRequestError

from {{ cookiecutter.package_name }}.db import Database
from {{ cookiecutter.package_name }}.models import Item

from .protocols import Sql


class Undone(Exception):
    pass


def new_item() -> Item:
    return Item(name=f"transaction-{uuid.uuid4()}", price_cents=1)


async def insert_then_fail(database: Database, item: Item) -> None:
    async with database.session() as session, session.begin():
        session.add(item)
        await session.flush()  # the INSERT has run; in autocommit it would be committed now
        raise Undone


async def test_a_failed_begin_block_commits_nothing(app: FastAPI, live_sql: Sql) -> None:
    item = new_item()
    with pytest.raises(Undone):
        await insert_then_fail(app.state.database, item)

    assert await live_sql(f"SELECT id FROM items WHERE name = '{item.name}'") == []


async def test_a_write_outside_begin_is_refused(app: FastAPI, live_sql: Sql) -> None:
    database: Database = app.state.database
    item = new_item()
    async with database.session() as session:
        session.add(item)
        with pytest.raises(InvalidRequestError, match=r"session\.begin\(\)"):
            await session.commit()

    assert await live_sql(f"SELECT id FROM items WHERE name = '{item.name}'") == []
