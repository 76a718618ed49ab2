"""The OpenAPI schema clients are generated from: every error it declares has the one error body, and
the refusals Starlette and FastAPI make themselves have that body too. That each response the suite
receives is declared for its operation is checked after every test (declared.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import (
    INTERNAL_ERROR,
    INTERNAL_ERROR_DETAIL,
    INVALID_REQUEST,
    AppError,
    NotFound,
)
from {{ cookiecutter.package_name }}.schemas import ErrorBody

from .support import probe
from .support.clients import app_client
from .support.declared import Seen, problems
from .support.live import PathTo

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def operations(app: FastAPI) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def template(app: FastAPI, operation_id: str) -> str:
    """An operation's path template (`/test-probe/rows/{row_id}`), as the schema and the recorder name it."""
    [name] = [name for name, operation in operations(app) if operation["operationId"] == operation_id]
    return name.partition(" ")[2]  # "GET /test-probe/rows/{row_id}": the path after the method


def test_every_declared_error_has_the_error_body(app: FastAPI) -> None:
    declared = [
        (name, status, response)
        for name, operation in operations(app)
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]

    assert declared
    for name, status, response in declared:
        assert response["content"] == {"application/json": {"schema": ERROR_BODY}}, (name, status)
        if status == "503":
            assert "Retry-After" in response["headers"], name
    # FastAPI's own 422 body, which the service never sends, is nowhere in the schema.
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


def test_request_bodies_refuse_unknown_fields(app: FastAPI) -> None:
    schema = app.openapi()
    bodies = [
        operation["requestBody"]["content"]["application/json"]["schema"]
        for _, operation in operations(app)
        if "requestBody" in operation
    ]
    # A body is a model, or a list of them (a bulk insert).
    refs = [body.get("items", body)["$ref"] for body in bodies]
    models = {ref.rpartition("/")[2] for ref in refs}

    assert {"NewProbeRow", "ProbeChange"} <= models  # the probe's, and the service's own
    for model in models:
        assert schema["components"]["schemas"][model]["additionalProperties"] is False, model
    # Responses stay open: a client built from the schema ignores a field it does not know.
    assert "additionalProperties" not in schema["components"]["schemas"]["ProbeRow"]


def test_operation_ids_are_the_route_names(app: FastAPI) -> None:
    ids = [operation["operationId"] for _, operation in operations(app)]

    assert len(ids) == len(set(ids)), ids
    assert "get_probe_row" in ids


def test_every_operation_declares_unexpected_failures(app: FastAPI) -> None:
    for name, operation in operations(app):
        assert "500" in operation["responses"], name


@pytest.mark.parametrize(
    ("method", "route", "params", "status", "code"),
    [
        # No route has this path, so there is no name to ask for: the literal is the point. Its code
        # is an unknown id's too: one `not_found` for clients to branch on.
        pytest.param("GET", None, {}, 404, NotFound.code, id="unknown-path"),
        # Starlette's refusal: its code is the status's name, which no constant of the app holds.
        pytest.param("PUT", "list_probe_rows", {}, 405, "method_not_allowed", id="unknown-method"),
        pytest.param("GET", "get_probe_row", {"row_id": 0}, 422, INVALID_REQUEST, id="invalid-id"),
    ],
)
async def test_refusals_have_the_error_body(
    client: AsyncClient,
    path_to: PathTo,
    seen_responses: list[Seen],
    method: str,
    route: str | None,
    params: dict[str, Any],
    status: int,
    code: str,
) -> None:
    path = "/nowhere" if route is None else path_to(route, **params)

    response = await client.request(method, path)

    assert response.status_code == status
    assert ErrorBody.model_validate(response.json()).code == code
    assert [(seen.method, seen.path, seen.status) for seen in seen_responses] == [(method, path, status)]


async def test_a_wrong_method_keeps_the_allow_header(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.put(path_to("list_probe_rows"))

    assert "GET" in response.headers["allow"]  # Starlette names the first matching route's methods


async def test_a_body_that_cannot_be_read_is_400_with_the_error_body(
    client: AsyncClient, path_to: PathTo
) -> None:
    response = await client.post(
        path_to("create_probe_row"), content=b"\xff", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert (
        ErrorBody.model_validate(response.json()).code == AppError.code
    )  # the app's 400, as the schema says


async def test_an_unexpected_failure_is_500_with_the_error_body(
    app: FastAPI, path_to: PathTo, seen_responses: list[Seen], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(probe, "read", broken)
    async with app_client(app, raise_app_exceptions=False) as http:
        response = await http.get(path_to("get_probe_row", row_id=1))

    assert response.status_code == 500
    assert response.json() == {"code": INTERNAL_ERROR, "detail": INTERNAL_ERROR_DETAIL}
    assert [(seen.route, seen.status) for seen in seen_responses] == [(template(app, "get_probe_row"), 500)]


def test_responses_unlike_the_schema_are_reported(app: FastAPI, path_to: PathTo) -> None:
    row = template(app, "get_probe_row")

    def seen(route: str | None, status: int, body: bytes) -> Seen:
        return Seen("GET", path_to("get_probe_row", row_id=1), route, status, body, route is not None, app)

    not_found = b'{"code": "not_found", "detail": "Probe row not found."}'
    assert problems(seen(row, 404, not_found)) == []
    assert problems(seen(row, 410, b'{"code": "gone", "detail": "Gone."}'))
    assert problems(seen(row, 404, b'{"detail": "Not Found"}'))
    assert problems(seen(None, 404, b"Not Found"))
