"""The probe's statements (probe.py) on this driver's session. A write runs in `transaction()`,
as the repository's writes do: its own transaction, or a savepoint inside one already open (the
tests' rolled-back one), which a refused statement then leaves usable."""

import re
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from {{ cookiecutter.package_name }}.db.tortoise_internals import transaction


def numbered(statement: str, values: dict[str, Any]) -> str:
    """The probe writes `:name` parameters; asyncpg takes them by position, `$1`."""
    names = list(values)
    return re.sub(r":(\w+)", lambda found: f"${names.index(found[1]) + 1}", statement)


async def read(session: BaseDBAsyncClient, statement: str, **values: Any) -> list[dict[str, Any]]:
    found = await session.execute_query_dict(numbered(statement, values), list(values.values()))
    return [dict(row) for row in found]


async def write(session: BaseDBAsyncClient, statement: str, **values: Any) -> list[dict[str, Any]]:
    async with transaction(session) as connection:
        found = await connection.execute_query_dict(numbered(statement, values), list(values.values()))
    return [dict(row) for row in found]
