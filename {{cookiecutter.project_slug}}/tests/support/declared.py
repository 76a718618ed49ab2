"""The OpenAPI schema tells the truth: every response the suite's apps send is one the schema declares
for its operation, and every error among them has the one error body. Checked after each test, on
what that test's requests received, so a new route or error path cannot drift from the schema."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.schemas import ErrorBody


@dataclass(frozen=True)
class Seen:
    """One response as the client received it, with what the app's schema says of its route."""

    method: str
    path: str
    route: str | None  # the matched route's template; None when no route matched
    status: int
    body: bytes | None  # None when an exception left the app (the outer 500 handler answered)
    documented: bool  # the route is one the schema documents (not /metrics, /docs)
    app: Any  # whose schema it is held to, read after the test: building one is too slow for a request


SEEN: list[Seen] = []


class RecordResponses:
    """Pure ASGI, outermost but for Starlette's server-error handler, so it sees what clients see."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        body = bytearray()

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and status >= 400:  # only errors' are read
                body.extend(message.get("body", b""))
            await send(message)

        # A request cancelled mid-way (a client that gave up) answered nothing: it is not recorded.
        try:
            await self.app(scope, receive, recording)
        except Exception:
            record(scope, status, None)  # the server-error handler answers 500 outside this middleware
            raise
        record(scope, status, bytes(body))


def record(scope: Scope, status: int, body: bytes | None) -> None:
    route = scope.get("route")
    SEEN.append(
        Seen(
            method=scope["method"],
            path=scope["path"],
            route=getattr(route, "path", None),
            status=status,
            body=body,
            documented=bool(getattr(route, "include_in_schema", False)),
            app=scope["app"],
        )
    )


def record_responses(app: FastAPI) -> FastAPI:
    """Add the recorder to an app before it starts; what it records is checked after each test."""
    app.add_middleware(RecordResponses)
    return app


def problems(seen: Seen) -> list[str]:
    """What is wrong with one response, measured against the schema; empty when it is as declared."""
    where = f"{seen.method} {seen.route or seen.path} answered {seen.status}"
    found = []
    if seen.status >= 400 and seen.body is not None and seen.method != "HEAD":
        try:
            ErrorBody.model_validate_json(seen.body)
        except ValidationError:
            found.append(f"{where} with a body that is not the error body: {seen.body[:200]!r}")
    if seen.route is None or not seen.documented:
        return found
    operations = operations_at(seen.route, seen.app)
    operation = operations.get(seen.method.lower())
    if not operations:
        found.append(f"{where}, a route the schema does not have")
    elif operation is None:
        if seen.status != 405:  # Starlette's answer to a method the route lacks
            found.append(f"{where}, an operation the schema does not have")
    elif str(seen.status) not in operation["responses"]:
        declared = ", ".join(operation["responses"])
        found.append(f"{where}, which the schema does not declare (only {declared})")
    return found


_PATHS: dict[str, Any] = {}  # the schema's paths, from the first app whose response is checked


def operations_at(route: str, app: FastAPI) -> dict[str, Any]:
    """The schema's operations at a route template. Every app of the suite comes from `app_factory`, and
    no setting changes its routes, so the first app's schema stands for the rest: building one is
    slow, and the suite starts dozens of apps. (An app with other routes would show here
    as routes the schema lacks, a failure, not a silence.)"""
    if not _PATHS:
        _PATHS.update(app.openapi()["paths"])
    operations: dict[str, Any] = _PATHS.get(route, {})
    return operations


@pytest.fixture(autouse=True)
def seen_responses() -> Iterator[list[Seen]]:
    """Every response of the test's apps, in order; after the test each must be as the schema says."""
    SEEN.clear()
    yield SEEN
    found = sorted({problem for seen in SEEN for problem in problems(seen)})
    if found:
        pytest.fail("responses unlike the OpenAPI schema:\n" + "\n".join(found[:20]), pytrace=False)
