"""The contract behind a real PgBouncer in transaction pooling, with DB_PGBOUNCER=true: no named
prepared statement may outlive its transaction, since the next one may run on another server session."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from .support import probe
from .support.live import PathTo, StartApp
from .support.protocols import Sql


@pytest.fixture
async def bouncer_rows_deleted_after(live_sql: Sql) -> AsyncIterator[None]:
    """The test's rows are committed for real; they go when it ends."""
    yield
    await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE 'bouncer-%'")


async def test_the_api_works_behind_pgbouncer(
    start_app: StartApp, pgbouncer_url: str, bouncer_rows_deleted_after: None, path_to: PathTo
) -> None:
    async with start_app(database_url=pgbouncer_url, db_pgbouncer=True) as client:
        assert (await client.get(path_to("ready"))).status_code == 200
        # Many clients at once on 4 server sessions: each statement lands wherever the pool puts it.
        created = await asyncio.gather(
            *(client.post(path_to("create_probe_row"), json={"name": f"bouncer-{n}"}) for n in range(40))
        )
        assert {response.status_code for response in created} == {201}
        row = path_to("update_probe_row", row_id=created[0].json()["id"])
        changed = await asyncio.gather(*(client.patch(row, json={"n": n}) for n in range(40)))
        assert {response.status_code for response in changed} == {200}
        for _ in range(3):
            pages = await asyncio.gather(
                *(client.get(path_to("list_probe_rows"), params={"limit": 5}) for _ in range(40))
            )
            assert {response.status_code for response in pages} == {200}
        assert (await client.post(path_to("create_probe_row"), json={"name": "bouncer-0"})).status_code == 409
