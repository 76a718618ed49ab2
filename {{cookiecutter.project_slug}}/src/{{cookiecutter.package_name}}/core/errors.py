"""What a failure means to a client: domain errors and database failures become JSON HTTP errors."""

import enum
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from .logs import REQUEST_ID
from .request_id import HEADER

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "1"

# The `code`s no exception class below carries (each class's is its `code`): named once, for the
# handlers, the schema's descriptions (api/responses.py) and the tests to share.
INVALID_REQUEST = "invalid_request"
INTERNAL_ERROR = "internal_error"
INTERNAL_ERROR_DETAIL = "Internal server error."
DRAINING = "draining"  # readiness while this instance shuts down (api/health.py)


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


class IdempotencyKeyReused(AppError):
    """The Idempotency-Key came before with another request: the stored answer is not this one's."""

    status_code = 422
    code = "idempotency_key_reused"


class PoolBusy(Exception):
    """No free connection within DB_POOL_TIMEOUT: the database answers, but every connection is in
    use (503 `database_busy`). Each layer raises it where its own wait for a connection runs out."""


class Failure(enum.Enum):
    """A database failure a client can act on, whatever driver raised it."""

    TIMEOUT = (504, "database_timeout", "The database did not answer in time.")
    UNAVAILABLE = (503, "database_unavailable", "The database is unavailable; retry shortly.")
    BUSY = (503, "database_busy", "All database connections are busy; retry shortly.")
    # A table's constraints. 409: the same request may succeed once other rows change; 422: the
    # row it would write is refused whatever else the table holds.
    CONFLICT = (409, "conflict", "The request conflicts with existing data.")
    # The server reports both directions alike (the referencing table, the constraint): a create
    # naming a row that does not exist, a delete of a row others still refer to.
    REFERENCE = (
        409,
        "reference_violation",
        "The request names a row that does not exist, or removes one that other rows still refer to.",
    )
    CHECK = (422, "check_violation", "A value breaks a rule of the table.")
    NOT_NULL = (422, "not_null_violation", "A value the table requires is missing.")

    def __init__(self, status_code: int, code: str, detail: str) -> None:
        self.status_code = status_code
        self.code = code
        self.detail = detail


# SQLSTATE codes (PostgreSQL appendix A) by what they mean to the client.
SQLSTATE_FAILURES = {
    "57014": Failure.TIMEOUT,  # query_canceled: statement_timeout
    "23505": Failure.CONFLICT,  # unique_violation
    "23P01": Failure.CONFLICT,  # exclusion_violation: another row holds what this one claims
    "23503": Failure.REFERENCE,  # foreign_key_violation
    "23514": Failure.CHECK,  # check_violation
    "23502": Failure.NOT_NULL,  # not_null_violation
    "40001": Failure.BUSY,  # serialization_failure
    "40P01": Failure.BUSY,  # deadlock_detected
    "53300": Failure.UNAVAILABLE,  # too_many_connections
    "57P01": Failure.UNAVAILABLE,  # admin_shutdown
    "57P02": Failure.UNAVAILABLE,  # crash_shutdown
    "57P03": Failure.UNAVAILABLE,  # cannot_connect_now
}
UNIQUE_VIOLATION = "23505"


def failure_for_sqlstate(sqlstate: str | None) -> Failure | None:
    if sqlstate is None:
        return None
    if sqlstate.startswith("08"):  # connection_exception class
        return Failure.UNAVAILABLE
    return SQLSTATE_FAILURES.get(sqlstate)


class ServerReport(Protocol):
    """The fields PostgreSQL sends with an error that say where it was refused, under the names
    libpq gives them, which each driver keeps: names from the schema, never a row's values."""

    @property
    def constraint_name(self) -> str | None: ...

    @property
    def table_name(self) -> str | None: ...

    @property
    def column_name(self) -> str | None: ...


@dataclass(frozen=True)
class Diagnosis:
    """A driver's reading of one of its errors: what it means for the client (None: unexpected, a
    500), and what the server reported. A not-null violation names a column; the others a constraint."""

    failure: Failure | None
    sqlstate: str | None = None
    constraint: str | None = None
    table: str | None = None
    column: str | None = None

    @classmethod
    def of(cls, sqlstate: str | None, report: ServerReport | None = None) -> "Diagnosis":
        """What the server's SQLSTATE means, with the names its report gives."""
        if report is None:
            return cls(failure_for_sqlstate(sqlstate), sqlstate)
        return cls(
            failure_for_sqlstate(sqlstate),
            sqlstate,
            constraint=report.constraint_name,
            table=report.table_name,
            column=report.column_name,
        )

    def detail(self) -> str:
        """The failure's detail, naming the constraint (or column) so a person can find the rule."""
        assert self.failure is not None
        if self.constraint:
            return f"{self.failure.detail} Constraint: {self.constraint}."
        if self.column:
            where = f"{self.table}.{self.column}" if self.table else self.column
            return f"{self.failure.detail} Column: {where}."
        return self.failure.detail


def error_body(code: str, detail: str) -> dict[str, str]:
    return {"code": code, "detail": detail}


def unavailable(code: str, detail: str) -> JSONResponse:
    """A 503 says when to try again, whichever part of the service is not there."""
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    return JSONResponse(error_body(code, detail), status_code=503, headers=headers)


def phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:  # a status Python does not name
        return "HTTP error"


def status_code_name(status_code: int) -> str:
    """`method_not_allowed` for 405: a `code` for the statuses Starlette and FastAPI refuse with."""
    return re.sub(r"\W+", "_", phrase(status_code).lower())


def install(
    app: FastAPI,
    driver_errors: tuple[type[Exception], ...],
    classify: Callable[[Exception], Diagnosis],
) -> None:
    """Register the handlers; `classify` is the driver's reading of its own exceptions."""

    async def app_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return JSONResponse(error_body(exc.code, exc.detail), status_code=exc.status_code)

    async def database_error(_: Request, exc: Exception) -> JSONResponse:
        diagnosis = Diagnosis(Failure.BUSY) if isinstance(exc, PoolBusy) else classify(exc)
        failure = diagnosis.failure
        # Logged once, by class, sqlstate and the schema's names: the message may hold parameters,
        # row values or a URL.
        fields = {
            "failure": failure.code if failure else "unexpected",
            "error_type": type(exc).__name__,
            "sqlstate": diagnosis.sqlstate,
        }
        named = {"constraint": diagnosis.constraint, "table": diagnosis.table, "column": diagnosis.column}
        fields |= {name: value for name, value in named.items() if value}
        logger.warning("database failure", extra=fields)
        if failure is None:
            return JSONResponse(error_body(INTERNAL_ERROR, INTERNAL_ERROR_DETAIL), status_code=500)
        if failure.status_code == 503:
            return unavailable(failure.code, diagnosis.detail())
        body = error_body(failure.code, diagnosis.detail())
        return JSONResponse(body, status_code=failure.status_code)

    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        logger.error("unhandled %s", type(exc).__name__, exc_info=exc)
        # Outside the request-id middleware (Starlette runs this handler outermost), so the header
        # is set here; the id is still current in this task.
        request_id = REQUEST_ID.get()
        headers = {HEADER: request_id} if request_id else None
        return JSONResponse(
            error_body(INTERNAL_ERROR, INTERNAL_ERROR_DETAIL), status_code=500, headers=headers
        )

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # FastAPI's default body echoes each bad input: a 100 kB string comes back whole, and one
        # that is not valid Unicode cannot be encoded at all (a 500). Say where and why, not what.
        problems = [
            {"loc": error["loc"], "msg": error["msg"], "type": error["type"]} for error in exc.errors()
        ]
        return JSONResponse({"code": INVALID_REQUEST, "detail": problems}, status_code=422)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        # Starlette's own refusals (404 unknown path, 405 wrong method) and FastAPI's 400 for a body
        # it cannot read come as {"detail": ...}; they get a `code` like every other error.
        detail = exc.detail if isinstance(exc.detail, str) else phrase(exc.status_code)
        body = error_body(status_code_name(exc.status_code), detail)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(AppError, app_error)
    database_errors: tuple[type[Exception], ...] = (PoolBusy, *driver_errors)
    for error_type in database_errors:
        app.add_exception_handler(error_type, database_error)
    app.add_exception_handler(Exception, unexpected_error)
