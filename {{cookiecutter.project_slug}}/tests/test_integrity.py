"""A write a table's constraint refuses gets the one error body, not a 500: 409 when the same request
could succeed once other rows change (a reference, an exclusion), 422 when the row itself is refused
(a check, a not-null column). `code` is for programs to branch on; `detail` names the constraint or
column, never a value of the row.

The example's routes check what they can before they write, so each test adds the constraint it
trips to the schema inside its own transaction, which the test's rollback takes away again."""

import logging
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import Failure

from .support.live import PathTo
from .support.protocols import Sql

APP_LOGGER = "{{ cookiecutter.package_name }}"


def refusal(failure: Failure, named: str) -> dict[str, str]:
    """The body a constraint's refusal gets: the failure's code and detail, and what refused it."""
    return {"code": failure.code, "detail": f"{failure.detail} {named}."}


async def create_item(client: AsyncClient, path_to: PathTo, **fields: Any) -> dict[str, Any]:
    response = await client.post(path_to("create_item"), json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_deleting_a_row_others_refer_to_is_409_naming_the_reference(
    client: AsyncClient, path_to: PathTo, sql: Sql, caplog: pytest.LogCaptureFixture
) -> None:
    await sql("CREATE TABLE item_tags (item_id integer CONSTRAINT item_tags_item_fk REFERENCES items (id))")
    item = await create_item(client, path_to, name="tagged")
    await sql(f"INSERT INTO item_tags VALUES ({item['id']})")

    with caplog.at_level(logging.WARNING, logger=APP_LOGGER):
        response = await client.delete(path_to("delete_item", item_id=item["id"]))

    assert response.status_code == 409
    assert response.json() == refusal(Failure.REFERENCE, "Constraint: item_tags_item_fk")
    assert (await client.get(path_to("get_item", item_id=item["id"]))).status_code == 200
    [failure] = [record for record in caplog.records if record.getMessage() == "database failure"]
    logged = (failure.__dict__["sqlstate"], failure.__dict__["constraint"], failure.__dict__["table"])
    assert logged == ("23503", "item_tags_item_fk", "item_tags")


async def test_creating_a_row_that_names_a_missing_one_is_409_naming_the_reference(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql("CREATE TABLE price_points (cents bigint PRIMARY KEY)")
    await sql("INSERT INTO price_points VALUES (100)")
    await sql(
        "ALTER TABLE items ADD CONSTRAINT items_price_point_fk"
        " FOREIGN KEY (price_cents) REFERENCES price_points (cents)"
    )
    await create_item(client, path_to, name="listed", price_cents=100)

    response = await client.post(path_to("create_item"), json={"name": "unlisted", "price_cents": 999})

    assert response.status_code == 409
    assert response.json() == refusal(Failure.REFERENCE, "Constraint: items_price_point_fk")


async def test_a_row_another_excludes_is_409_naming_the_exclusion(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql("ALTER TABLE items ADD CONSTRAINT items_one_per_price EXCLUDE USING btree (price_cents WITH =)")
    await create_item(client, path_to, name="first", price_cents=700)

    response = await client.post(path_to("create_item"), json={"name": "second", "price_cents": 700})

    assert response.status_code == 409
    assert response.json() == refusal(Failure.CONFLICT, "Constraint: items_one_per_price")


async def test_a_row_a_check_refuses_is_422_naming_the_check(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql("ALTER TABLE items ADD CONSTRAINT items_price_not_13 CHECK (price_cents <> 13)")
    item = await create_item(client, path_to, name="priced", price_cents=12)

    created = await client.post(path_to("create_item"), json={"name": "unlucky", "price_cents": 13})
    changed = await client.patch(path_to("update_item", item_id=item["id"]), json={"price_cents": 13})

    for response in (created, changed):
        assert response.status_code == 422
        assert response.json() == refusal(Failure.CHECK, "Constraint: items_price_not_13")


async def test_a_row_without_a_required_value_is_422_naming_the_column(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql("ALTER TABLE items ALTER COLUMN description SET NOT NULL")

    response = await client.post(path_to("create_item"), json={"name": "undescribed"})

    assert response.status_code == 422
    assert response.json() == refusal(Failure.NOT_NULL, "Column: items.description")
