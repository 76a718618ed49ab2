"""The probe's statements (probe.py) on this driver's session, as the layer runs a read (which may be
sent again on a new connection, see db.sqlalchemy_engine) and a write (committed)."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def read(session: AsyncSession, statement: str, **values: Any) -> list[dict[str, Any]]:
    result = await session.execute(text(statement).columns(), values)  # .columns(): a SELECT
    return [dict(row) for row in result.mappings()]


async def write(session: AsyncSession, statement: str, **values: Any) -> list[dict[str, Any]]:
    result = await session.execute(text(statement), values)
    found = [dict(row) for row in result.mappings()]
    await session.commit()
    return found
