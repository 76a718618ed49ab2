"""Checks every test gets for free, whatever the driver: nothing a test does may outlive it."""

from collections.abc import AsyncIterator

import pytest

from .postgres import CONTRACT_TABLES
from .protocols import Sql


@pytest.fixture(autouse=True)
async def no_rows_left_behind(live_sql: Sql) -> AsyncIterator[None]:
    yield
    counts = " + ".join(f"(SELECT count(*) FROM {table})" for table in CONTRACT_TABLES)
    [(left,)] = await live_sql(f"SELECT {counts}")
    assert left == 0, f"{left} committed row(s) left behind"
