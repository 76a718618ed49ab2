"""Many transfers at once, on committed data: money is neither created nor destroyed."""

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from .support.committed_rows import delete_accounts
from .support.live import PathTo, StartApp
from .support.protocols import Sql

ACCOUNTS = 4
OPENING_CENTS = 10_000
# The pool's 15 connections run transfers 15 at a time, so 100 are about seven rounds in which every
# account is in several transfers at once: a lost update shows in the total. More only add rounds.
TRANSFERS = 100


@pytest.fixture
async def patient_client(start_app: StartApp) -> AsyncIterator[AsyncClient]:
    # Transfers queue on the rows they lock; on a loaded machine the queue can outlast the default
    # pool timeout, and this test is about the invariant, not timeouts (test_faults covers those).
    async with start_app(db_pool_timeout=60) as client:
        yield client


@pytest.fixture
async def account_ids(
    patient_client: AsyncClient, live_sql: Sql, path_to: PathTo
) -> AsyncIterator[list[int]]:
    """ACCOUNTS accounts opened with OPENING_CENTS each, committed; deleted with their transfers after."""
    ids = []
    for n in range(ACCOUNTS):
        body = {"owner": f"c{n}", "balance_cents": OPENING_CENTS}
        response = await patient_client.post(path_to("create_account"), json=body)
        ids.append(int(response.json()["id"]))
    yield ids
    await delete_accounts(live_sql, ids)


async def test_concurrent_transfers_keep_the_total(
    patient_client: AsyncClient, account_ids: list[int], path_to: PathTo
) -> None:
    chance = random.Random(7)
    pairs = [chance.sample(account_ids, 2) for _ in range(TRANSFERS)]

    responses = await asyncio.gather(
        *(
            patient_client.post(
                path_to("create_transfer"),
                json={"from_account_id": a, "to_account_id": b, "amount_cents": chance.randint(1, 4000)},
            )
            for a, b in pairs
        )
    )

    statuses = {response.status_code for response in responses}
    assert statuses <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
    assert 201 in statuses
    balances = [
        (await patient_client.get(path_to("get_account", account_id=id_))).json()["balance_cents"]
        for id_ in account_ids
    ]
    assert sum(balances) == ACCOUNTS * OPENING_CENTS
    assert min(balances) >= 0
