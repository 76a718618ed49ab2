"""Safe retries: a write sent again with its Idempotency-Key happens once and gets its first answer.
On an app with its own pool and real commits (the keys' transactions are the point), on committed
rows this module removes after each test."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.commands.forget_keys import forget_expired
from {{ cookiecutter.package_name }}.core.settings import Settings

{% if cookiecutter.auth == "jwt" -%}
from .support.auth_provider import EVERY_SCOPE, SUITE, bearer
{% endif -%}
from .support.committed_rows import delete_accounts
from .support.live import PathTo
from .support.protocols import Sql

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
OpenAccount = Callable[[int], Awaitable[int]]


@pytest.fixture
async def keys(live_sql: Sql) -> AsyncIterator[Callable[[], str]]:
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


def transfer(
    client: AsyncClient, path_to: PathTo, body: dict[str, Any], key: str | None
) -> Awaitable[Response]:
    headers = {KEY: key} if key is not None else {}
    return client.post(path_to("create_transfer"), json=body, headers=headers)


async def test_a_repeat_gets_the_first_answer_and_moves_money_once(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 300}
    key = keys()

    first = await transfer(live_client, path_to, body, key)
    again = await transfer(live_client, path_to, body, key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert await balances(live_sql, source, target) == [700, 300]
    assert await transfers_from(live_sql, source) == 1


async def test_ten_at_once_with_one_key_move_money_once(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    key = keys()

    answers = await asyncio.gather(*(transfer(live_client, path_to, body, key) for _ in range(10)))

    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers][:3]
    assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
    assert sum(answer.headers.get(REPLAYED) == "true" for answer in answers) == 9
    assert await balances(live_sql, source, target) == [900, 100]
    assert await transfers_from(live_sql, source) == 1


async def test_the_same_key_with_another_request_is_refused(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    source, target = await open_account(1000), await open_account(0)
    key = keys()
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    await transfer(live_client, path_to, body, key)

    other = await transfer(live_client, path_to, {**body, "amount_cents": 200}, key)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert await balances(live_sql, source, target) == [900, 100]


async def test_the_same_body_spaced_otherwise_is_the_same_request(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    source, target = await open_account(1000), await open_account(0)
    key = keys()
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(body.items())), indent=2)
    headers = {KEY: key, "Content-Type": "application/json"}

    first = await live_client.post(path_to("create_transfer"), content=compact, headers=headers)
    again = await live_client.post(path_to("create_transfer"), content=spaced, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert await balances(live_sql, source, target) == [900, 100]


async def test_a_refusal_is_kept_and_repeated(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    """The answer kept is the first one, not the request run again: after the source is topped up,
    the repeat still says insufficient funds, and moves nothing."""
    source, target, bank = await open_account(100), await open_account(0), await open_account(1000)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 500}
    key = keys()

    first = await transfer(live_client, path_to, body, key)
    top_up = {"from_account_id": bank, "to_account_id": source, "amount_cents": 1000}
    assert (await transfer(live_client, path_to, top_up, None)).status_code == 201
    again = await transfer(live_client, path_to, body, key)

    assert (first.status_code, again.status_code) == (409, 409)
    assert first.json()["code"] == "insufficient_funds"
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert await balances(live_sql, source, target) == [1100, 0]


async def test_without_a_key_each_request_is_done(
    live_client: AsyncClient, open_account: OpenAccount, live_sql: Sql, path_to: PathTo
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    [(keys_before,)] = await live_sql("SELECT count(*) FROM idempotency_keys")

    first = await transfer(live_client, path_to, body, None)
    again = await transfer(live_client, path_to, body, None)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] != again.json()["id"]
    assert REPLAYED not in again.headers
    assert await balances(live_sql, source, target) == [800, 200]
    assert await live_sql("SELECT count(*) FROM idempotency_keys") == [(keys_before,)]


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("create_item", {"name": "retried item", "price_cents": 5}),
        ("create_items", [{"name": "retried bulk 1"}, {"name": "retried bulk 2"}]),
        ("create_account", {"owner": "retried account"}),
    ],
)
async def test_every_create_is_done_once_per_key(
    route: str, body: Any, live_client: AsyncClient, keys: Callable[[], str], live_sql: Sql, path_to: PathTo
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


@pytest.mark.parametrize("bad", ["", "has space", "k" * 256, "tab\there"])
async def test_a_malformed_key_is_refused(
    bad: str, live_client: AsyncClient, path_to: PathTo, live_sql: Sql
) -> None:
    response = await live_client.post(
        path_to("create_account"), json={"owner": "bad key"}, headers={KEY: bad}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert await live_sql("SELECT id FROM accounts WHERE owner = 'bad key'") == []


async def test_an_expired_key_is_new_again(
    live_client: AsyncClient,
    open_account: OpenAccount,
    keys: Callable[[], str],
    live_sql: Sql,
    path_to: PathTo,
) -> None:
    source, target = await open_account(1000), await open_account(0)
    body = {"from_account_id": source, "to_account_id": target, "amount_cents": 100}
    key = keys()
    await transfer(live_client, path_to, body, key)
    await live_sql(f"UPDATE idempotency_keys SET expires_at = now() WHERE key = '{key}'")

    again = await transfer(live_client, path_to, body, key)

    assert again.status_code == 201
    assert REPLAYED not in again.headers
    assert await balances(live_sql, source, target) == [800, 200]


async def test_forget_keys_removes_the_expired_ones(
    settings: Settings, keys: Callable[[], str], live_sql: Sql
) -> None:
    expired, current = keys(), keys()
    for key, expires in ((expired, "now() - interval '1 second'"), (current, "now() + interval '1 day'")):
        await live_sql(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status_code, response_body, expires_at)"
            f" VALUES ('', '{key}', 'f', 201, 'null', {expires})"
        )

    forgotten = await asyncio.to_thread(forget_expired, settings)

    assert forgotten >= 1
    kept = await live_sql(f"SELECT key FROM idempotency_keys WHERE key IN ('{expired}', '{current}')")
    assert kept == [(current,)]
{%- if cookiecutter.auth == "jwt" %}


async def test_keys_belong_to_their_caller(
    live_client: AsyncClient, keys: Callable[[], str], live_sql: Sql, path_to: PathTo
) -> None:
    key, body = keys(), {"owner": "another caller's"}
    other_caller = {KEY: key, **bearer(SUITE.token(EVERY_SCOPE, sub="caller-2"))}
    try:
        mine = await live_client.post(path_to("create_account"), json=body, headers={KEY: key})
        theirs = await live_client.post(path_to("create_account"), json=body, headers=other_caller)

        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]
        assert REPLAYED not in theirs.headers
    finally:
        await live_sql("DELETE FROM accounts WHERE owner = 'another caller''s'")
{%- endif %}
