"""Many transfers at once, on committed data: money is neither created nor destroyed, opposite
transfers never deadlock, and PgBouncer's transaction pooling keeps each transfer whole."""

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from httpx import AsyncClient

from .support.live import PathTo, StartApp
from .support.protocols import Sql
from .test_accounts import delete_accounts

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


# Transfers between three accounts in both directions. Were rows locked in arrival order, two
# opposite transfers in flight together could deadlock; 100 keep all 15 of the pool's connections
# busy for about seven rounds, each with many opposite pairs in flight at once (15 transfers
# over 3 accounts), so a lock-order bug cannot hide in them.
OPPOSING_TRANSFERS = 100


async def test_opposing_transfers_never_deadlock(start_app: StartApp, live_sql: Sql, path_to: PathTo) -> None:
    opening = 10_000
    ids = [
        int(row[0])
        for row in await live_sql(
            f"INSERT INTO accounts (owner, balance_cents) VALUES ('a', {opening}), ('b', {opening}),"
            f" ('c', {opening}) RETURNING id"
        )
    ]
    listed = ", ".join(map(str, ids))
    chance = random.Random(5)
    try:
        async with start_app(db_pool_timeout=60) as client:
            responses = await asyncio.gather(
                *(
                    client.post(
                        path_to("create_transfer"),
                        json={
                            "from_account_id": ids[n % 3],
                            "to_account_id": ids[(n + 1 + n % 2) % 3],
                            "amount_cents": chance.randint(1, 500),
                        },
                    )
                    for n in range(OPPOSING_TRANSFERS)
                )
            )
        statuses = [response.status_code for response in responses]
        assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)][:3]
        assert 201 in statuses  # money moved: a run of refusals alone would prove nothing of locking
        rows = await live_sql(f"SELECT balance_cents FROM accounts WHERE id IN ({listed})")
        balances = [int(balance) for (balance,) in rows]
        assert sum(balances) == 3 * opening
        assert min(balances) >= 0
    finally:
        await delete_accounts(live_sql, ids)


async def test_transfers_work_behind_pgbouncer(
    start_app: StartApp, pgbouncer_url: str, live_sql: Sql, path_to: PathTo
) -> None:
    """Transfers are transactions of several statements: behind PgBouncer's transaction pooling
    (tests/test_pgbouncer.py), each runs whole on one server session."""
    async with start_app(database_url=pgbouncer_url, db_pgbouncer=True) as client:
        opened = [
            (
                await client.post(path_to("create_account"), json={"owner": owner, "balance_cents": 1000})
            ).json()["id"]
            for owner in ("x", "y")
        ]
        try:
            moves = await asyncio.gather(
                *(
                    client.post(
                        path_to("create_transfer"),
                        json={
                            "from_account_id": opened[n % 2],
                            "to_account_id": opened[1 - n % 2],
                            "amount_cents": 7,
                        },
                    )
                    for n in range(40)
                )
            )
            statuses = [response.status_code for response in moves]
            assert set(statuses) <= {201, 409}
            assert 201 in statuses
            history = await client.get(path_to("list_transfers", account_id=opened[0]))
            assert history.status_code == 200
            # Every transfer that went through is in the history of the account at both its ends.
            assert len(history.json()) == statuses.count(201)
        finally:
            await delete_accounts(live_sql, opened)
