"""The probe's statements (probe.py) on this driver's session, as the layer runs a read (which may be
sent again on a new connection, see db.sqlalchemy_engine) and a write (committed), each on one of
the app's worker threads like every call of the repository."""

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from {{ cookiecutter.package_name }}.db.threadpool import in_threadpool


def read_blocking(session: Session, /, statement: str, **values: Any) -> list[dict[str, Any]]:
    try:
        result = session.execute(text(statement).columns(), values)  # .columns(): a SELECT
        found = [dict(row) for row in result.mappings()]
    except BaseException:
        session.rollback()
        raise
    session.commit()  # ends the session's transaction and hands its connection back
    return found


def write_blocking(session: Session, /, statement: str, **values: Any) -> list[dict[str, Any]]:
    with session.begin():
        return [dict(row) for row in session.execute(text(statement), values).mappings()]


read = in_threadpool(read_blocking)
write = in_threadpool(write_blocking)
