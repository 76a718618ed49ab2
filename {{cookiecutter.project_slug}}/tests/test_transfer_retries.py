"""The example's writes retried with an Idempotency-Key: a transfer sent again moves money once,
however many repeats arrive at once, and a refusal is kept; every create takes a key. The key's
own behaviour, on the template's probe, is tests/test_idempotency.py. On an app with its own pool
and real commits, on committed rows this module removes after each test."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from .support.live import PathTo
from .support.protocols import Sql
from .test_accounts import delete_accounts

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
OpenAccount = Callable[[int], Awaitable[int]]
New = Callable[[], str]  # a new key at each call
Send = Callable[[dict[str, Any], str | None], Awaitable[Response]]


@pytest.fixture
async def keys(live_sql: Sql) -> AsyncIterator[New]:
    """New keys for the test; every key row the test left behind is removed after it."""
    prefix = f"test-{uuid.uuid4()}"
    made = iter(range(1_000_000))
    yield lambda: f"{prefix}-{next(made)}"
    await live_sql(f"DELETE FROM idempotency_keys WHERE key LIKE '{prefix}-%'")


@pytest.fixture
async def open_account(
    live_client: AsyncClient, live_sql: Sql, path_to: PathTo
) -> AsyncIterator[OpenAccount]:
    """Opens committed accounts with a balance; removes them, their transfers included, after."""
    opened: list[int] = []

    async def open_one(balance_cents: int) -> int:
        body = {"owner": "retries", "balance_cents": balance_cents}
        response = await live_client.post(path_to("create_account"), json=body)
        assert response.status_code == 201, response.text
        opened.append(int(response.json()["id"]))
        return opened[-1]

    yield open_one
    await delete_accounts(live_sql, opened)


async def balances(live_sql: Sql, *ids: int) -> list[int]:
    listed = ", ".join(str(id_) for id_ in ids)
    rows = await live_sql(f"SELECT id, balance_cents FROM accounts WHERE id IN ({listed})")
    by_id = {int(id_): int(balance) for id_, balance in rows}
    return [by_id[id_] for id_ in ids]


async def transfers_from(live_sql: Sql, account_id: int) -> int:
    [(count,)] = await live_sql(f"SELECT count(*) FROM transfers WHERE from_account_id = {account_id}")
    return int(count)


@pytest.fixture
def send(live_client: AsyncClient, path_to: PathTo) -> Send:
    """`await send(body, key)`: a transfer asked for with that Idempotency-Key (None: without one)."""

    def post(body: dict[str, Any], key: str | None) -> Awaitable[Response]:
        headers = {KEY: key} if key is not None else {}
        return live_client.post(path_to("create_transfer"), json=body, headers=headers)

    return post


async def test_a_repeat_gets_the_first_answer_and_moves_money_once(
    open_account: OpenAccount, keys: New, send: Send, live_sql: Sql
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 300}
    key = keys()

    first = await send(body, key)
    again = await send(body, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert await balances(live_sql, source, target) == [700, 300]
    assert await transfers_from(live_sql, source) == 1


async def test_ten_at_once_with_one_key_move_money_once(
    open_account: OpenAccount, keys: New, send: Send, live_sql: Sql
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    key = keys()

    answers = await asyncio.gather(*(send(body, key) for _ in range(10)))

    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers][:3]
    assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
    assert sum(answer.headers.get(REPLAYED) == "true" for answer in answers) == 9
    assert await balances(live_sql, source, target) == [900, 100]
    assert await transfers_from(live_sql, source) == 1


async def test_a_refusal_is_kept_and_repeated(
    open_account: OpenAccount, keys: New, send: Send, live_sql: Sql
) -> None:
    """The answer kept is the first one, not the request run again: after the source is topped up,
    the repeat still says insufficient funds, and moves nothing."""
    source, target, bank = await open_account(100), await open_account(0), await open_account(1000)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 500}
    key = keys()

    first = await send(body, key)
    top_up = {"from_account_id": bank, "to_account_id": source, "amount_cents": 1000}
    assert (await send(top_up, None)).status_code == 201
    again = await send(body, key)

    assert (first.status_code, again.status_code) == (409, 409)
    assert first.json()["code"] == "insufficient_funds"
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert await balances(live_sql, source, target) == [1100, 0]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("create_item", {"name": "retried item", "price_cents": 5}),
        ("create_items", [{"name": "retried bulk 1"}, {"name": "retried bulk 2"}]),
        ("create_account", {"owner": "retried account"}),
    ],
)
async def test_every_create_is_done_once_per_key(
    route: str, body: Any, live_client: AsyncClient, keys: New, live_sql: Sql, path_to: PathTo
) -> None:
    key = keys()
    try:
        first = await live_client.post(path_to(route), json=body, headers={KEY: key})
        again = await live_client.post(path_to(route), json=body, headers={KEY: key})

        assert (first.status_code, again.status_code) == (201, 201), again.text
        assert again.json() == first.json()
        assert again.headers[REPLAYED] == "true"
    finally:
        await live_sql("DELETE FROM items WHERE name LIKE 'retried %'")
        await live_sql("DELETE FROM accounts WHERE owner = 'retried account'")
