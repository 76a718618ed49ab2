"""Each request gets an id (the caller's X-Request-ID when it is safe, else a new one), returned on
the response and carried by every log line written while serving it; one access line per request.

The same middleware hands each answer (status, seconds) to the app's other observers, metrics among
them, rather than each wrapping the app in a middleware of its own: every ASGI layer costs every
request a frame on each await, and each wrapper would measure the same status and time again.
"""

import logging
import re
import secrets
import time
from collections.abc import Callable, Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import APP_LOGGER, REQUEST_ID

HEADER = "X-Request-ID"
# Ids from upstream proxies and tracers fit; anything else (spaces, quotes, newlines, 10 kB) would
# end up in every log line, so it is replaced rather than trusted.
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

logger = logging.getLogger(f"{APP_LOGGER}.http")

# Told of every answered request: its scope (with the route FastAPI matched), status, and seconds.
Observer = Callable[[Scope, int, float], None]


def request_id(scope: Scope) -> str:
    offered = Headers(scope=scope).get(HEADER)
    if offered is not None and SAFE_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(16)  # 32 hex digits, as a UUID's, without building one


class RequestIdMiddleware:
    """Pure ASGI, so the id is set in the very task (and context) that runs the endpoint."""

    def __init__(self, app: ASGIApp, observers: Sequence[Observer] = ()) -> None:
        self.app = app
        self.observers = tuple(observers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        current = request_id(scope)
        token = REQUEST_ID.set(current)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(HEADER, current)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # The id stays set: the server-error handler outside this middleware logs the failure
            # next, in this same task, and its line should carry the id too.
            self.answered(scope, 500, time.perf_counter() - started)
            raise
        self.answered(scope, status, time.perf_counter() - started)
        REQUEST_ID.reset(token)

    def answered(self, scope: Scope, status: int, seconds: float) -> None:
        for observe in self.observers:
            observe(scope, status, seconds)
        if logger.isEnabledFor(logging.INFO):
            # The path without its query string: a query may carry tokens or personal data.
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
