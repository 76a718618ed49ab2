"""Whatever the OpenAPI schema admits gets a 2xx or a 4xx, never a 5xx: hostile ids and bodies on
every route the schema lists (the service's own as it grows, and the template's probe), hostile
values on the probe's fields, refused before the database sees a value it would reject."""

from typing import Any
from unittest.mock import ANY

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import INVALID_REQUEST

from .support.live import PathTo
from .test_openapi import operations

HOSTILE_IDS = [
    "0",
    "-1",
    "2147483648",
    "9223372036854775808",
    "1e3",
    "1.5",
    "NaN",
    "%00",
    "%F0%9F%92%A3",
    "x" * 5000,
]
HOSTILE_STRINGS: list[Any] = ["", "x" * 201, "x" * 100_000, "nul\x00byte", None, 7, [], {}]
HOSTILE_NUMBERS: list[Any] = [-1, 2**31, 2**63, -(2**63), 10**30, 1.5, "12", "twelve", None, True, []]
HOSTILE_BODIES: list[Any] = [None, "", "text", 0, [], {}, [[]], {"name": {"nested": [1, 2]}}]
UNREADABLE_BODIES = [
    b"",
    b"{",
    b'{"name": "x",}',
    b"\xff\xfe",
    b'{"name": "\\ud800"}',
    b'{"owner": "\\udfff"}',
    b'{"name": "ok", "description": "\\ud800"}',
    b"[" * 10_000,
    b'{"name": 1e400}',
]


def refused(status: int) -> bool:
    return 400 <= status < 500


def integer_path_parameters(operation: dict[str, Any]) -> list[str]:
    return [
        parameter["name"]
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"].get("type") == "integer"
    ]


def filled(path: str, operation: dict[str, Any], **raw: str) -> str:
    """The path with each integer parameter set as given, else to 1. Raw, not encoded: the app
    parses the text as written."""
    for name in integer_path_parameters(operation):
        path = path.replace("{" + name + "}", raw.get(name, "1"))
    return path


async def test_hostile_ids_are_4xx_on_every_route(app: FastAPI, client: AsyncClient) -> None:
    checked = 0
    for name, operation in operations(app):
        method, _, path = name.partition(" ")
        for parameter in integer_path_parameters(operation):
            for raw in HOSTILE_IDS:
                url = filled(path, operation, **{parameter: raw})
                response = await client.request(method, url, json={})
                assert refused(response.status_code), (method, url[:80], response.status_code, response.text)
            checked += 1
    assert checked  # the probe's routes at least


async def test_hostile_bodies_are_4xx_on_every_route(app: FastAPI, client: AsyncClient) -> None:
    checked = 0
    for name, operation in operations(app):
        if "requestBody" not in operation:
            continue
        method, _, path = name.partition(" ")
        url = filled(path, operation)
        for body in HOSTILE_BODIES:
            response = await client.request(method, url, json=body)
            assert refused(response.status_code), (method, url, body, response.status_code, response.text)
        for raw in UNREADABLE_BODIES:
            headers = {"content-type": "application/json"}
            response = await client.request(method, url, content=raw, headers=headers)
            assert refused(response.status_code), (method, url, raw[:20], response.status_code, response.text)
        checked += 1
    assert checked


async def test_an_unknown_field_is_422_naming_it_on_every_route(app: FastAPI, client: AsyncClient) -> None:
    """Refused, not dropped: a misspelt field must not pass for one left out (a body model of
    `RequestBody`, schemas.py, refuses them). The wording is pydantic's."""
    checked = 0
    for name, operation in operations(app):
        if "requestBody" not in operation:
            continue
        method, _, path = name.partition(" ")
        many = operation["requestBody"]["content"]["application/json"]["schema"].get("type") == "array"
        body = [{"nmae": "lamp"}] if many else {"nmae": "lamp"}
        response = await client.request(method, filled(path, operation), json=body)
        unknown = {"loc": ["body", *([0] if many else []), "nmae"], "msg": ANY, "type": "extra_forbidden"}
        assert response.status_code == 422, (name, response.status_code, response.text)
        assert response.json()["code"] == INVALID_REQUEST
        assert unknown in response.json()["detail"], (name, response.text)
        checked += 1
    assert checked


@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
async def test_hostile_strings_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    response = await client.post(path_to("create_probe_row"), json={"name": value})
    assert refused(response.status_code), (response.status_code, response.text[:300])


async def test_hostile_numbers_are_4xx_or_accepted(client: AsyncClient, path_to: PathTo) -> None:
    for value in HOSTILE_NUMBERS:
        response = await client.post(path_to("create_probe_row"), json={"name": f"n-{value!r}", "n": value})
        assert response.status_code < 500, (value, response.status_code, response.text)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=99999999999999999999",
        "offset=-1",
        "offset=99999999999999999999",
        "limit=abc",
        "limit=1.5",
        "limit=",
        "offset=1e9",
    ],
)
async def test_hostile_pagination_is_4xx(client: AsyncClient, path_to: PathTo, query: str) -> None:
    # The probe pages with the service's own Limit and Offset (api/params.py); the query is raw
    # text, as its parsing is under test.
    response = await client.get(f"{path_to('list_probe_rows')}?{query}")
    assert refused(response.status_code), (query, response.status_code)


async def test_unicode_round_trips(client: AsyncClient, path_to: PathTo) -> None:
    name = "Ørders ✓ 日本語 עברית 🚀 e\u0301"

    created = await client.post(path_to("create_probe_row"), json={"name": name})

    assert created.status_code == 201
    fetched = await client.get(path_to("get_probe_row", row_id=created.json()["id"]))
    assert fetched.json()["name"] == name


async def test_errors_never_show_sql_or_tracebacks(client: AsyncClient, path_to: PathTo) -> None:
    await client.post(path_to("create_probe_row"), json={"name": "dup"})

    conflict = await client.post(path_to("create_probe_row"), json={"name": "dup"})

    assert conflict.status_code == 409
    for leak in ("INSERT", "SELECT", "Traceback", "duplicate key", "sqlalchemy", "asyncpg"):
        assert leak.lower() not in conflict.text.lower()
