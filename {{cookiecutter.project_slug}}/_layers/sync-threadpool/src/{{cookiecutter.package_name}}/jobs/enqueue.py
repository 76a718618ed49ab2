"""Enqueue a job on the caller's session, inside its `with session.begin()` block (on a worker
thread, as every sync_repository function runs)."""

from typing import Any, cast

from psycopg import Connection, RawCursor
from sqlalchemy.orm import Session

from .kinds import KINDS
from .payloads import Payload
from .statement import ENQUEUE, arguments


def enqueue(session: Session, kind: str, payload: Payload) -> int:
    """The new job's id. On the psycopg connection under the session's transaction (a raw cursor
    takes $n placeholders as pgqueuer writes them), so the job commits or rolls back with it. An
    unknown kind raises UnknownKind before anything is sent."""
    envelope = KINDS.envelope(kind, payload)
    connection = cast(Connection[Any], session.connection().connection.driver_connection)
    with RawCursor(connection) as cursor:
        cursor.execute(ENQUEUE, arguments(envelope))
        row = cursor.fetchone()
    assert row is not None  # the statement returns the new job's row
    return int(row[1])
