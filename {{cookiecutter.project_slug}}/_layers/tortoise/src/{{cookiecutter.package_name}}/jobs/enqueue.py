"""Enqueue a job on the caller's connection, inside its `transaction()` block."""

from tortoise.backends.base.client import BaseDBAsyncClient

from .kinds import KINDS
from .payloads import Payload
from .statement import ENQUEUE, arguments


async def enqueue(connection: BaseDBAsyncClient, kind: str, payload: Payload) -> int:
    """The new job's id. On the transaction's own asyncpg connection, so the job commits or rolls
    back with it. An unknown kind raises UnknownKind before anything is sent."""
    envelope = KINDS.envelope(kind, payload)
    rows = await connection.execute_query_dict(ENQUEUE, list(arguments(envelope)))
    return int(rows[0]["id"])
