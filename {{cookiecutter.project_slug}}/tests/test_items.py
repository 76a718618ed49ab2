"""Items: CRUD, validation, unique names, pagination bounds and the batched bulk insert."""

from collections.abc import Awaitable, Callable
from typing import Any
from unittest.mock import ANY

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import INVALID_REQUEST, Conflict, NotFound

from .support.live import PathTo
from .support.protocols import CountQueries
from .test_bad_input import HOSTILE_NUMBERS, HOSTILE_STRINGS, refused

CreateItem = Callable[..., Awaitable[dict[str, Any]]]
# Bodies the app refuses, each with where it says the problem is and pydantic's type for it.
INVALID_BODIES: dict[str, tuple[Any, list[str], str]] = {
    "missing-name": ({}, ["body", "name"], "missing"),
    "empty-name": ({"name": ""}, ["body", "name"], "string_too_short"),
    "name-too-long": ({"name": "x" * 201}, ["body", "name"], "string_too_long"),
    "negative-price": ({"name": "ok", "price_cents": -1}, ["body", "price_cents"], "greater_than_equal"),
    "huge-price": ({"name": "ok", "price_cents": 10**20}, ["body", "price_cents"], "less_than_equal"),
    "price-not-a-number": ({"name": "ok", "price_cents": "ten"}, ["body", "price_cents"], "int_parsing"),
    "not-an-object": ([], ["body"], "model_attributes_type"),
}


@pytest.fixture
def create_item(client: AsyncClient, path_to: PathTo) -> CreateItem:
    """`await create_item("lamp", price_cents=5)` creates an item ("widget" unless named) and
    returns its body."""

    async def create(name: str = "widget", **fields: Any) -> dict[str, Any]:
        response = await client.post(path_to("create_item"), json={"name": name, **fields})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return create


async def test_create_then_read(client: AsyncClient, path_to: PathTo, create_item: CreateItem) -> None:
    created = await create_item("lamp", description="a desk lamp", price_cents=1999)

    response = await client.get(path_to("get_item", item_id=created["id"]))

    assert response.status_code == 200
    assert response.json() == created
    assert created["name"] == "lamp"
    assert created["price_cents"] == 1999
    assert created["created_at"]


async def test_unknown_item_is_404_with_json_body(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.get(path_to("get_item", item_id=999999))

    assert response.status_code == 404
    assert response.json() == {"code": NotFound.code, "detail": "Item not found."}


async def test_duplicate_name_is_409(client: AsyncClient, path_to: PathTo, create_item: CreateItem) -> None:
    await create_item("unique")

    response = await client.post(path_to("create_item"), json={"name": "unique"})

    assert response.status_code == 409
    assert response.json()["code"] == Conflict.code


async def test_the_session_recovers_after_a_conflict(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    await create_item("first")
    assert (await client.post(path_to("create_item"), json={"name": "first"})).status_code == 409

    await create_item("second")

    listed = (await client.get(path_to("list_items"))).json()["items"]
    assert [item["name"] for item in listed] == ["first", "second"]


@pytest.mark.parametrize(("body", "where", "why"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
async def test_invalid_body_is_422(
    client: AsyncClient, path_to: PathTo, body: Any, where: list[str], why: str
) -> None:
    response = await client.post(path_to("create_item"), json=body)

    assert response.status_code == 422
    # Where and why, never the value sent; the message's wording is pydantic's.
    assert response.json() == {"code": INVALID_REQUEST, "detail": [{"loc": where, "msg": ANY, "type": why}]}


async def test_malformed_json_is_422(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.post(
        path_to("create_item"), content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422


@pytest.mark.parametrize("item_id", ["0", "-1", "2147483648", "99999999999999999999", "abc"])
async def test_out_of_range_ids_are_422(client: AsyncClient, path_to: PathTo, item_id: str) -> None:
    assert (await client.get(path_to("get_item", item_id=item_id))).status_code == 422


async def test_update_changes_only_given_fields(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    item = await create_item("old", description="keep me", price_cents=5)

    response = await client.patch(path_to("update_item", item_id=item["id"]), json={"name": "new"})

    assert response.status_code == 200
    assert response.json() == {**item, "name": "new"}


async def test_update_to_a_taken_name_is_409(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    await create_item("taken")
    item = await create_item("free")

    response = await client.patch(path_to("update_item", item_id=item["id"]), json={"name": "taken"})

    assert response.status_code == 409
    assert (await client.get(path_to("get_item", item_id=item["id"]))).json()["name"] == "free"


async def test_update_with_null_name_is_422(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    item = await create_item()

    response = await client.patch(path_to("update_item", item_id=item["id"]), json={"name": None})

    assert response.status_code == 422


async def test_update_unknown_item_is_404(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.patch(path_to("update_item", item_id=999999), json={"name": "x"})

    assert response.status_code == 404


async def test_delete_then_gone(client: AsyncClient, path_to: PathTo, create_item: CreateItem) -> None:
    item = await create_item()
    path = path_to("delete_item", item_id=item["id"])

    assert (await client.delete(path)).status_code == 204
    assert (await client.get(path_to("get_item", item_id=item["id"]))).status_code == 404
    assert (await client.delete(path)).status_code == 404


async def test_list_pages_in_id_order(client: AsyncClient, path_to: PathTo, create_item: CreateItem) -> None:
    names = [f"item-{n}" for n in range(5)]
    for name in names:
        await create_item(name)

    response = await client.get(path_to("list_items"), params={"limit": 2, "offset": 1})

    assert response.status_code == 200
    page = response.json()
    assert [item["name"] for item in page["items"]] == names[1:3]
    assert (page["limit"], page["offset"]) == (2, 1)


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": -1}, {"offset": -1}, {"offset": 10**7}, {"limit": "many"}],
    ids=str,
)
async def test_pagination_bounds_are_422(
    client: AsyncClient, path_to: PathTo, params: dict[str, Any]
) -> None:
    assert (await client.get(path_to("list_items"), params=params)).status_code == 422


async def test_bulk_creates_all_in_order(client: AsyncClient, path_to: PathTo) -> None:
    body = [{"name": f"bulk-{n}", "price_cents": n} for n in range(50)]

    response = await client.post(path_to("create_items"), json=body)

    assert response.status_code == 201
    created = response.json()
    assert [item["name"] for item in created] == [entry["name"] for entry in body]
    assert len({item["id"] for item in created}) == 50


async def test_bulk_is_one_statement_whatever_its_size(
    client: AsyncClient, path_to: PathTo, count_queries: CountQueries
) -> None:
    with count_queries() as one:
        solo = await client.post(path_to("create_items"), json=[{"name": "solo"}])
    with count_queries() as many:
        crowd = await client.post(path_to("create_items"), json=[{"name": f"many-{n}"} for n in range(200)])

    # Both were inserted: a refused body sends no statement at all, and 0 == 0 would prove nothing.
    assert (solo.status_code, crowd.status_code) == (201, 201)
    assert many.count == one.count


async def test_bulk_with_a_taken_name_inserts_nothing(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    await create_item("taken")

    response = await client.post(path_to("create_items"), json=[{"name": "fresh"}, {"name": "taken"}])

    assert response.status_code == 409
    listed = (await client.get(path_to("list_items"))).json()["items"]
    assert [item["name"] for item in listed] == ["taken"]


@pytest.mark.parametrize("size", [0, 1001])
async def test_bulk_size_is_bounded(client: AsyncClient, path_to: PathTo, size: int) -> None:
    body = [{"name": f"n-{n}"} for n in range(size)]

    assert (await client.post(path_to("create_items"), json=body)).status_code == 422


@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
async def test_hostile_names_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    response = await client.post(path_to("create_item"), json={"name": value})
    assert refused(response.status_code), (response.status_code, response.text[:300])


@pytest.mark.parametrize("value", [v for v in HOSTILE_STRINGS if v not in ("", None, "x" * 201)], ids=repr)
async def test_hostile_descriptions_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    response = await client.post(path_to("create_item"), json={"name": "ok", "description": value})
    assert refused(response.status_code), (response.status_code, response.text[:300])


async def test_hostile_prices_are_4xx_or_accepted(client: AsyncClient, path_to: PathTo) -> None:
    for value in HOSTILE_NUMBERS:
        response = await client.post(
            path_to("create_item"), json={"name": f"n-{value!r}", "price_cents": value}
        )
        assert response.status_code < 500, (value, response.status_code, response.text)
