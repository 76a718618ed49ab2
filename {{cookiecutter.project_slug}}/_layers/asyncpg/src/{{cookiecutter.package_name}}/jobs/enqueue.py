"""Enqueue a job on the caller's session, inside its `session.begin()` block."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .kinds import KINDS
from .payloads import Payload
from .statement import ENQUEUE, arguments


async def enqueue(session: AsyncSession, kind: str, payload: Payload) -> int:
    """The new job's id. Through SQLAlchemy's own connection (its asyncpg dialect takes $n
    placeholders as pgqueuer writes them), so the job is in the session's transaction and commits
    or rolls back with it. An unknown kind raises UnknownKind before anything is sent."""
    envelope = KINDS.envelope(kind, payload)
    connection = await session.connection()
    result: Any = await connection.exec_driver_sql(ENQUEUE, arguments(envelope))
    return int(result.one().id)
