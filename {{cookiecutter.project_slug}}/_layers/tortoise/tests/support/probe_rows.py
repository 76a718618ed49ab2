"""The probe's statements (probe.py) on this driver's session: each one statement, which commits by
itself, so a read and a write run alike."""

import re
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient


async def write(session: BaseDBAsyncClient, statement: str, **values: Any) -> list[dict[str, Any]]:
    # The probe writes `:name` parameters; asyncpg takes them by position, `$1`.
    names = list(values)
    numbered = re.sub(r":(\w+)", lambda found: f"${names.index(found[1]) + 1}", statement)
    return [dict(row) for row in await session.execute_query_dict(numbered, list(values.values()))]


read = write
