"""Safe retries of a write: `@idempotent` under a route's decorator gives it an optional
`Idempotency-Key` header. The first request with a key does the work, and keeps the key, the
request's fingerprint and its answer in the same transaction as the work; a repeat of the same
request gets that answer again (with `Idempotent-Replayed: true`) and does nothing; the same key
with another request is refused (422 `idempotency_key_reused`). A repeat that comes while the first
still runs waits on the key's row lock for it to end, then answers as above: never a second run.

The app's own refusals (an AppError: 404, 409 insufficient funds) are kept as answers too: the work's
transaction is a SAVEPOINT inside the key's, undone alone. Any other failure (the database, a bug)
undoes the key with the work, so a retry runs again. Keys belong to the caller the auth guard
verified (none: one scope for all), and are removed after IDEMPOTENCY_KEY_TTL by `forget-keys`.
"""

import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.routing import APIRoute, APIRouter

from .. import idempotency_store
from ..core import errors
from ..core.idempotency import REPLAYED_HEADER, Answer, Claim
from ..core.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

# Visible ASCII (a UUID, say), as the header's field value may safely be, and bounded like its column.
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[\x21-\x7e]+$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=KEY_PATTERN,
        description="A key of the client's own (a new UUID per operation), sent again with each retry of"
        " it: the write then happens once, and every retry gets its first answer (with"
        f" `{REPLAYED_HEADER}: true`). Another request with a key already used is refused"
        f" (422 `{errors.IdempotencyKeyReused.code}`). Kept for IDEMPOTENCY_KEY_TTL (24 h).",
    ),
]
REPLAYED_RESPONSE_HEADER = {
    REPLAYED_HEADER: {
        "description": "`true` when this is the kept answer to an earlier request with the same"
        " Idempotency-Key, sent again.",
        "schema": {"type": "string"},
    }
}
IDEMPOTENT = "__idempotent__"  # set on a route's function by @idempotent, for document()


def idempotent(endpoint: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """The route function, with the Idempotency-Key header added to its parameters. It must take the
    request's session as `session`: a keyed request's work runs on the key's transaction instead."""
    signature = inspect.signature(endpoint)

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        request: Request = kwargs.pop("idempotency_request")
        key: str | None = kwargs.pop("idempotency_key")
        if key is None:
            return await endpoint(*args, **kwargs)
        settings: Settings = request.app.state.settings
        claim = Claim(scope(request), key, await fingerprint(request), settings.idempotency_key_ttl)
        async with idempotency_store.keyed_transaction(kwargs["session"]) as transaction:
            kept = await transaction.claim(claim)
            if kept is not None:
                if kept.fingerprint != claim.fingerprint:
                    raise errors.IdempotencyKeyReused(
                        "This Idempotency-Key was sent with another request; use a new key for a new one."
                    )
                return answer_response(kept.answer, replayed=True)
            try:
                result = await endpoint(*args, **{**kwargs, "session": transaction.session})
                answer = Answer(success_status(request), body_of(result))
            except errors.AppError as refusal:
                answer = Answer(refusal.status_code, body_of(errors.error_body(refusal.code, refusal.detail)))
            await transaction.keep(claim, answer)
        return answer_response(answer, replayed=False)

    added = [
        inspect.Parameter("idempotency_request", inspect.Parameter.KEYWORD_ONLY, annotation=Request),
        inspect.Parameter(
            "idempotency_key", inspect.Parameter.KEYWORD_ONLY, annotation=IdempotencyKey, default=None
        ),
    ]
    # FastAPI reads the parameters from here.
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *added]
    )
    setattr(run, IDEMPOTENT, True)
    return run  # it may answer with a Response, which FastAPI sends as it is


def scope(request: Request) -> str:
    """Whose key it is: the subject of the caller the auth guard verified; "" where there is none."""
    caller = getattr(request.state, "caller", None)
    return str(caller.subject) if caller is not None else ""


async def fingerprint(request: Request) -> str:
    """The request as a repeat must match it: method, path and query, and the JSON body read as
    values (a client may send the same object with other spacing or key order)."""
    raw = await request.body()  # read already, to validate it: this is the copy Starlette kept
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        body = raw
    target = f"{request.method} {request.url.path}?{request.url.query}".encode()
    return hashlib.sha256(target + b"\n" + body).hexdigest()


def success_status(request: Request) -> int:
    route: APIRoute = request.scope["route"]
    return route.status_code or 200


def body_of(result: object) -> str:
    """The route's result (or an error body) as JSON text, rendered as JSONResponse renders it."""
    return json.dumps(jsonable_encoder(result), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def answer_response(answer: Answer, *, replayed: bool) -> Response:
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(answer.body, answer.status_code, headers=headers, media_type="application/json")


def document(router: APIRouter) -> None:
    """Declare, for the schema, the replay header of each idempotent route's success response and
    its refusal of a key reused. Before the router is included: including copies the responses."""
    for route in router.routes:
        if isinstance(route, APIRoute) and getattr(route.endpoint, IDEMPOTENT, False):
            route.responses.setdefault(route.status_code or 200, {})["headers"] = REPLAYED_RESPONSE_HEADER
            invalid = route.responses[422]
            reused = (
                f" An Idempotency-Key sent before with another request: `{errors.IdempotencyKeyReused.code}`."
            )
            route.responses[422] = {**invalid, "description": invalid["description"] + reused}
