"""The OpenAPI schema clients are generated from: every error it declares has the one error body, and
the refusals Starlette and FastAPI make themselves have that body too. That each response the suite
receives is declared for its operation is checked after every test (declared.py)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }} import repository
from {{ cookiecutter.package_name }}.schemas import ErrorBody

from .clients import app_client
from .declared import Seen, problems

ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}


def operations(app: FastAPI) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


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


def test_operation_ids_are_the_route_names(app: FastAPI) -> None:
    ids = [operation["operationId"] for _, operation in operations(app)]

    assert len(ids) == len(set(ids)), ids
    assert "get_item" in ids


def test_every_operation_declares_unexpected_failures(app: FastAPI) -> None:
    for name, operation in operations(app):
        assert "500" in operation["responses"], name


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("PUT", "/items", 405, "method_not_allowed"),
        ("GET", "/items/0", 422, "invalid_request"),
    ],
)
async def test_refusals_have_the_error_body(
    client: AsyncClient, seen_responses: list[Seen], method: str, path: str, status: int, code: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == status
    assert ErrorBody.model_validate(response.json()).code == code
    assert [(seen.method, seen.path, seen.status) for seen in seen_responses] == [(method, path, status)]


async def test_a_wrong_method_keeps_the_allow_header(client: AsyncClient) -> None:
    response = await client.put("/items")

    assert "POST" in response.headers["allow"]  # Starlette names the first matching route's methods


async def test_a_body_that_cannot_be_read_is_400_with_the_error_body(client: AsyncClient) -> None:
    response = await client.post("/items", content=b"\xff", headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert ErrorBody.model_validate(response.json()).code == "bad_request"


async def test_an_unexpected_failure_is_500_with_the_error_body(
    app: FastAPI, seen_responses: list[Seen], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(repository, "get_item", broken)
    async with app_client(app, raise_app_exceptions=False) as http:
        response = await http.get("/items/1")

    assert response.status_code == 500
    assert response.json() == {"code": "internal_error", "detail": "Internal server error."}
    assert [(seen.route, seen.status) for seen in seen_responses] == [("/items/{item_id}", 500)]


def test_responses_unlike_the_schema_are_reported(app: FastAPI) -> None:
    def seen(route: str | None, status: int, body: bytes) -> Seen:
        return Seen("GET", "/items/1", route, status, body, route is not None, app)

    not_found = b'{"code": "not_found", "detail": "Item not found."}'
    assert problems(seen("/items/{item_id}", 404, not_found)) == []
    assert problems(seen("/items/{item_id}", 410, b'{"code": "gone", "detail": "Gone."}'))
    assert problems(seen("/items/{item_id}", 404, b'{"detail": "Not Found"}'))
    assert problems(seen(None, 404, b"Not Found"))
