"""What each kind of operation can answer besides its success, for the OpenAPI schema: every status
errors.py sends, with the one error body, declared once here and looked up by the routes.

A new kind of refusal (401 and 403 for authentication, say) is a row in ERRORS, then a status in
the kinds that meet it, or `responses(kind, 401, 403)` on the routes it protects, or
`APIRouter(responses=error_responses(401, 403))` for a whole router.
"""

import enum
from typing import Any

{% if cookiecutter.auth == "jwt" %}from ..auth.errors import IdentityUnavailable, InvalidToken, MissingScope, NotAuthenticated
{% endif %}from ..core import errors
from ..core.errors import Conflict, Failure, InsufficientFunds, NotFound
from ..schemas import ErrorBody

Responses = dict[int | str, dict[str, Any]]

RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
}

# Each error status: what it means and the `code`s its body carries (the app's own constants).
ERRORS: dict[int, dict[str, Any]] = {
    # FastAPI's refusal of such a body gets the status's name as its code, which is AppError's.
    400: {"description": f"The body could not be read as JSON text (`{errors.AppError.code}`)."},
{%- if cookiecutter.auth == "jwt" %}
    401: {
        "description": "No bearer token, or one that does not verify"
        f" (`{NotAuthenticated.code}`, `{InvalidToken.code}`).",
        "headers": {"WWW-Authenticate": {"description": "Bearer, and why.", "schema": {"type": "string"}}},
    },
    403: {"description": f"The token lacks the scope this needs (`{MissingScope.code}`)."},
{%- endif %}
    404: {"description": f"No such resource, or none that it refers to (`{NotFound.code}`)."},
    409: {
        "description": "It conflicts with the data as it stands"
        f" (`{Conflict.code}`, `{InsufficientFunds.code}`), or names a row that does not exist or"
        f" removes one that other rows still refer to (`{Failure.REFERENCE.code}`). A table's"
        " constraint that refuses it is named in `detail`."
    },
    422: {
        "description": f"Invalid input; `detail` lists each problem (`{errors.INVALID_REQUEST}`). A"
        f" write may also break a check or a not-null rule of its table (`{Failure.CHECK.code}`,"
        f" `{Failure.NOT_NULL.code}`; `detail` names the constraint or column)."
    },
    500: {
        "description": f"An unexpected failure, logged under the request's id (`{errors.INTERNAL_ERROR}`)."
    },
    503: {
        "description": "Try again after `Retry-After` seconds: the database is unreachable or every "
        f"connection is busy (`{Failure.UNAVAILABLE.code}`, `{Failure.BUSY.code}`), or this instance is "
{%- if cookiecutter.auth == "jwt" %}
        f"shutting down (`{errors.DRAINING}`), or the identity provider's keys cannot be had"
        f" (`{IdentityUnavailable.code}`).",
{%- else %}
        f"shutting down (`{errors.DRAINING}`).",
{%- endif %}
        "headers": RETRY_AFTER,
    },
    504: {"description": f"A statement ran past DB_STATEMENT_TIMEOUT (`{Failure.TIMEOUT.code}`)."},
}


class Kind(enum.Enum):
    NO_DATABASE = enum.auto()  # answers from the process alone (liveness)
    READINESS = enum.auto()  # asks the database, answers 503 for any failure
    LIST = enum.auto()  # query parameters
    READ = enum.auto()  # one resource by id (and what hangs off it)
    CREATE = enum.auto()  # a body; a unique value may be taken, a row it names may not exist
    CHANGE = enum.auto()  # a body, acting on resources that must exist
    DELETE = enum.auto()  # one resource by id, which other rows may still refer to


DATABASE = (500, 503, 504)  # anything that runs a statement
STATUSES: dict[Kind, tuple[int, ...]] = {
    Kind.NO_DATABASE: (500,),
    Kind.READINESS: (500, 503),
    Kind.LIST: (422, *DATABASE),
    Kind.READ: (404, 422, *DATABASE),
    Kind.CREATE: (400, 409, 422, *DATABASE),
    Kind.CHANGE: (400, 404, 409, 422, *DATABASE),
    Kind.DELETE: (404, 409, 422, *DATABASE),
}


def error_responses(*statuses: int) -> Responses:
    return {status: {"model": ErrorBody, **ERRORS[status]} for status in sorted(statuses)}


def responses(kind: Kind, *extra: int) -> Responses:
    """The `responses=` of a route of this kind; `extra` adds statuses only some routes answer."""
    return error_responses(*{*STATUSES[kind], *extra})
