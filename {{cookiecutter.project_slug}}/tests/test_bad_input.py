"""Whatever the OpenAPI schema admits gets a 2xx or a 4xx, never a 5xx: hostile numbers, strings and
bodies are refused before the database sees a value it would reject."""

from typing import Any
from unittest.mock import ANY

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import INVALID_REQUEST

from .support.live import PathTo

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
# Each route that takes an id in its path: method, route name, the id's parameter.
ROUTES_WITH_ID = [
    ("GET", "get_item", "item_id"),
    ("PATCH", "update_item", "item_id"),
    ("DELETE", "delete_item", "item_id"),
    ("GET", "get_account", "account_id"),
    ("GET", "list_transfers", "account_id"),
]
BODY_ROUTES = ["create_item", "create_items", "create_account", "create_transfer"]


def refused(status: int) -> bool:
    return 400 <= status < 500


@pytest.mark.parametrize(("method", "route", "id_parameter"), ROUTES_WITH_ID)
async def test_hostile_ids_are_4xx(
    client: AsyncClient, path_to: PathTo, method: str, route: str, id_parameter: str
) -> None:
    for raw in HOSTILE_IDS:
        # A path parameter goes into the path as written, not encoded: the app parses the raw text.
        path = path_to(route, **{id_parameter: raw})
        response = await client.request(method, path, json={})
        assert refused(response.status_code), (raw, response.status_code, response.text)


@pytest.mark.parametrize("route", BODY_ROUTES)
async def test_hostile_bodies_are_4xx(client: AsyncClient, path_to: PathTo, route: str) -> None:
    path = path_to(route)
    for body in HOSTILE_BODIES:
        response = await client.post(path, json=body)
        assert refused(response.status_code), (body, response.status_code, response.text)
    for raw in [
        b"",
        b"{",
        b'{"name": "x",}',
        b"\xff\xfe",
        b'{"name": "\\ud800"}',
        b'{"owner": "\\udfff"}',
        b'{"name": "ok", "description": "\\ud800"}',
        b"[" * 10_000,
        b'{"name": 1e400}',
    ]:
        response = await client.post(path, content=raw, headers={"content-type": "application/json"})
        assert refused(response.status_code), (raw[:20], response.status_code, response.text)


# Each operation with a body: its method, path parameters, a body it accepts but for one field it does
# not name, and where that field is.
UnknownField = tuple[str, dict[str, Any], Any, list[str | int]]
UNKNOWN_FIELDS: dict[str, UnknownField] = {
    "create_item": ("POST", {}, {"name": "widget", "price": "9.99"}, ["body", "price"]),
    "create_items": ("POST", {}, [{"name": "widget"}, {"name": "lamp", "cost": 1}], ["body", 1, "cost"]),
    "update_item": ("PATCH", {"item_id": 1}, {"name": "widget", "nmae": "lamp"}, ["body", "nmae"]),
    "create_account": ("POST", {}, {"owner": "ann", "balance": 5}, ["body", "balance"]),
    "create_transfer": (
        "POST",
        {},
        {"from_account_id": 1, "to_account_id": 2, "amount_cents": 5, "memo": "rent"},
        ["body", "memo"],
    ),
}


@pytest.mark.parametrize(("route", "request_"), UNKNOWN_FIELDS.items(), ids=UNKNOWN_FIELDS.keys())
async def test_an_unknown_field_is_422_naming_it(
    client: AsyncClient, path_to: PathTo, route: str, request_: UnknownField
) -> None:
    method, params, body, where = request_

    response = await client.request(method, path_to(route, **params), json=body)

    # Refused, not dropped: a misspelt field must not pass for one left out. The wording is pydantic's.
    assert response.status_code == 422
    assert response.json() == {
        "code": INVALID_REQUEST,
        "detail": [{"loc": where, "msg": ANY, "type": "extra_forbidden"}],
    }


@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
async def test_hostile_names_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    for path, field in [(path_to("create_item"), "name"), (path_to("create_account"), "owner")]:
        response = await client.post(path, json={"name": "ok", "owner": "ok", field: value})
        assert refused(response.status_code), (path, response.status_code, response.text[:300])


@pytest.mark.parametrize("value", [v for v in HOSTILE_STRINGS if v not in ("", None, "x" * 201)], ids=repr)
async def test_hostile_descriptions_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    response = await client.post(path_to("create_item"), json={"name": "ok", "description": value})
    assert refused(response.status_code), (response.status_code, response.text[:300])


async def test_hostile_numbers_are_4xx_or_accepted(client: AsyncClient, path_to: PathTo) -> None:
    items, accounts, transfers = path_to("create_item"), path_to("create_account"), path_to("create_transfer")
    for value in HOSTILE_NUMBERS:
        for path, body in [
            (items, {"name": f"n-{value!r}", "price_cents": value}),
            (accounts, {"owner": "o", "balance_cents": value}),
            (transfers, {"from_account_id": value, "to_account_id": 1, "amount_cents": 1}),
            (transfers, {"from_account_id": 1, "to_account_id": 2, "amount_cents": value}),
        ]:
            response = await client.post(path, json=body)
            assert response.status_code < 500, (path, value, response.status_code, response.text)


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
    for path in [path_to("list_items"), path_to("list_transfers", account_id=1)]:
        response = await client.get(f"{path}?{query}")  # raw query text: its parsing is under test
        assert refused(response.status_code), (path, query, response.status_code)


async def test_unicode_round_trips(client: AsyncClient, path_to: PathTo) -> None:
    name = "Ørders ✓ 日本語 עברית 🚀 e\u0301"

    created = await client.post(path_to("create_item"), json={"name": name, "description": "🚀" * 2000})

    assert created.status_code == 201
    fetched = await client.get(path_to("get_item", item_id=created.json()["id"]))
    assert fetched.json()["name"] == name


async def test_errors_never_show_sql_or_tracebacks(client: AsyncClient, path_to: PathTo) -> None:
    await client.post(path_to("create_item"), json={"name": "dup"})

    conflict = await client.post(path_to("create_item"), json={"name": "dup"})

    assert conflict.status_code == 409
    for leak in ("INSERT", "SELECT", "Traceback", "duplicate key", "items_name", "sqlalchemy", "asyncpg"):
        assert leak.lower() not in conflict.text.lower()
