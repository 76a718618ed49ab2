"""A write a table's constraint refuses gets the one error body, not a 500: 409 when the same request
could succeed once other rows change (a reference, an exclusion), 422 when the row itself is refused
(a check, a not-null column). `code` is for programs to branch on; `detail` names the constraint or
column, never a value of the row.

Each test adds the constraint it trips to the probe's table (tests/support/probe.py) inside its own
transaction, which the test's rollback takes away again; the service's routes answer the same, as
the error handlers, not the routes, turn a driver's refusal into the answer."""

import logging
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import Failure

from .support import probe
from .support.live import PathTo
from .support.protocols import Sql

APP_LOGGER = "{{ cookiecutter.package_name }}"
NUMBERS = "test_probe.numbers"  # a table the probe's rows may be made to refer to


def refusal(failure: Failure, named: str) -> dict[str, str]:
    """The body a constraint's refusal gets: the failure's code and detail, and what refused it."""
    return {"code": failure.code, "detail": f"{failure.detail} {named}."}


async def create_row(client: AsyncClient, path_to: PathTo, **fields: Any) -> dict[str, Any]:
    response = await client.post(path_to("create_probe_row"), json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_deleting_a_row_others_refer_to_is_409_naming_the_reference(
    client: AsyncClient, path_to: PathTo, sql: Sql, caplog: pytest.LogCaptureFixture
) -> None:
    await sql(
        f"CREATE TABLE test_probe.tags (row_id integer CONSTRAINT tags_row_fk REFERENCES {probe.TABLE} (id))"
    )
    row = await create_row(client, path_to, name="tagged")
    await sql(f"INSERT INTO test_probe.tags VALUES ({row['id']})")

    with caplog.at_level(logging.WARNING, logger=APP_LOGGER):
        response = await client.delete(path_to("delete_probe_row", row_id=row["id"]))

    assert response.status_code == 409
    assert response.json() == refusal(Failure.REFERENCE, "Constraint: tags_row_fk")
    assert (await client.get(path_to("get_probe_row", row_id=row["id"]))).status_code == 200
    [failure] = [record for record in caplog.records if record.getMessage() == "database failure"]
    logged = (failure.__dict__["sqlstate"], failure.__dict__["constraint"], failure.__dict__["table"])
    assert logged == ("23503", "tags_row_fk", "tags")


async def test_a_write_naming_a_missing_row_is_409_naming_the_reference(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql(f"CREATE TABLE {NUMBERS} (n integer PRIMARY KEY)")
    await sql(f"INSERT INTO {NUMBERS} VALUES (1)")
    await sql(f"ALTER TABLE {probe.TABLE} ADD CONSTRAINT rows_n_fk FOREIGN KEY (n) REFERENCES {NUMBERS}")
    row = await create_row(client, path_to, name="listed", n=1)

    created = await client.post(path_to("create_probe_row"), json={"name": "unlisted", "n": 3})
    changed = await client.patch(path_to("update_probe_row", row_id=row["id"]), json={"n": 2})

    for response in (created, changed):
        assert response.status_code == 409
        assert response.json() == refusal(Failure.REFERENCE, "Constraint: rows_n_fk")


async def test_a_row_another_excludes_is_409_naming_the_exclusion(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql(f"ALTER TABLE {probe.TABLE} ADD CONSTRAINT rows_one_per_n EXCLUDE USING btree (n WITH =)")
    await create_row(client, path_to, name="first", n=700)

    response = await client.post(path_to("create_probe_row"), json={"name": "second", "n": 700})

    assert response.status_code == 409
    assert response.json() == refusal(Failure.CONFLICT, "Constraint: rows_one_per_n")


async def test_a_row_a_unique_constraint_refuses_is_409_naming_it(
    client: AsyncClient, path_to: PathTo
) -> None:
    await create_row(client, path_to, name="taken")

    response = await client.post(path_to("create_probe_row"), json={"name": "taken"})

    assert response.status_code == 409
    assert response.json() == refusal(Failure.CONFLICT, "Constraint: rows_name_key")


async def test_a_row_a_check_refuses_is_422_naming_the_check(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql(f"ALTER TABLE {probe.TABLE} ADD CONSTRAINT rows_n_not_13 CHECK (n <> 13)")
    row = await create_row(client, path_to, name="numbered", n=12)

    created = await client.post(path_to("create_probe_row"), json={"name": "unlucky", "n": 13})
    changed = await client.patch(path_to("update_probe_row", row_id=row["id"]), json={"n": 13})

    for response in (created, changed):
        assert response.status_code == 422
        assert response.json() == refusal(Failure.CHECK, "Constraint: rows_n_not_13")


async def test_a_row_without_a_required_value_is_422_naming_the_column(
    client: AsyncClient, path_to: PathTo, sql: Sql
) -> None:
    await sql(f"ALTER TABLE {probe.TABLE} ADD COLUMN note text NOT NULL DEFAULT 'x'")
    await sql(f"ALTER TABLE {probe.TABLE} ALTER COLUMN note DROP DEFAULT")

    response = await client.post(path_to("create_probe_row"), json={"name": "unnoted"})

    assert response.status_code == 422
    assert response.json() == refusal(Failure.NOT_NULL, "Column: rows.note")
