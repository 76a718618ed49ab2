"""Accounts and transfers: atomic moves, 409 without side effects, eager-loaded history, audit."""

{% if cookiecutter.jobs == "postgres" %}import json
{% endif %}from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.core.errors import InsufficientFunds

from .support.live import PathTo
from .support.protocols import CountQueries, Sql
from .test_bad_input import HOSTILE_NUMBERS, HOSTILE_STRINGS

Account = dict[str, Any]
OpenAccount = Callable[..., Awaitable[Account]]
Transfer = Callable[[Account, Account, int], Awaitable[Response]]
BalanceOf = Callable[[Account], Awaitable[int]]


async def delete_accounts(live_sql: Sql, ids: list[int]) -> None:
    """Remove committed accounts with their transfers and audit events (children first): for the
    example's tests that commit for real."""
    listed = ", ".join(str(int(id_)) for id_ in ids)
    theirs = f"from_account_id IN ({listed}) OR to_account_id IN ({listed})"
    await live_sql(f"DELETE FROM audit_events WHERE subject_id IN (SELECT id FROM transfers WHERE {theirs})")
    await live_sql(f"DELETE FROM transfers WHERE {theirs}")
    await live_sql(f"DELETE FROM accounts WHERE id IN ({listed})")


@pytest.fixture
def open_account(client: AsyncClient, path_to: PathTo) -> OpenAccount:
    """`await open_account(500, owner="grace")` opens an account and returns its body."""

    async def open_(balance_cents: int, owner: str = "ada") -> Account:
        body = {"owner": owner, "balance_cents": balance_cents}
        response = await client.post(path_to("create_account"), json=body)
        assert response.status_code == 201, response.text
        account: Account = response.json()
        return account

    return open_


@pytest.fixture
def transfer(client: AsyncClient, path_to: PathTo) -> Transfer:
    """`await transfer(source, target, 300)` asks to move 300 cents; the response is the test's to judge."""

    async def send(source: Account, target: Account, cents: int) -> Response:
        body = {"from_account_id": source["id"], "to_account_id": target["id"], "amount_cents": cents}
        return await client.post(path_to("create_transfer"), json=body)

    return send


@pytest.fixture
def balance_of(client: AsyncClient, path_to: PathTo) -> BalanceOf:
    """`await balance_of(account)` is its balance in cents, read through the API."""

    async def balance(account: Account) -> int:
        response = await client.get(path_to("get_account", account_id=account["id"]))
        assert response.status_code == 200
        cents: int = response.json()["balance_cents"]
        return cents

    return balance


async def test_create_and_read_account(
    client: AsyncClient, path_to: PathTo, open_account: OpenAccount
) -> None:
    account = await open_account(500, owner="grace")

    response = await client.get(path_to("get_account", account_id=account["id"]))

    assert response.status_code == 200
    assert response.json() == account
    assert account["owner"] == "grace"


async def test_negative_opening_balance_is_422(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.post(path_to("create_account"), json={"owner": "x", "balance_cents": -1})

    assert response.status_code == 422


async def test_unknown_account_is_404(client: AsyncClient, path_to: PathTo) -> None:
    assert (await client.get(path_to("get_account", account_id=999999))).status_code == 404


async def test_transfer_moves_money(
    open_account: OpenAccount, transfer: Transfer, balance_of: BalanceOf
) -> None:
    source, target = await open_account(1000), await open_account(0)

    response = await transfer(source, target, 300)

    assert response.status_code == 201
    assert response.json()["amount_cents"] == 300
    assert (await balance_of(source), await balance_of(target)) == (700, 300)


async def test_insufficient_funds_is_409_and_changes_nothing(
    open_account: OpenAccount, transfer: Transfer, balance_of: BalanceOf, sql: Sql
) -> None:
    source, target = await open_account(100), await open_account(0)

    response = await transfer(source, target, 101)

    assert response.status_code == 409
    assert response.json()["code"] == InsufficientFunds.code
    assert (await balance_of(source), await balance_of(target)) == (100, 0)
    assert await sql("SELECT id FROM transfers") == []


async def test_transfer_to_unknown_account_is_404_and_changes_nothing(
    open_account: OpenAccount, transfer: Transfer, balance_of: BalanceOf
) -> None:
    source = await open_account(100)

    response = await transfer(source, {"id": 999999}, 10)

    assert response.status_code == 404
    assert await balance_of(source) == 100


async def test_transfer_to_the_same_account_is_422(open_account: OpenAccount, transfer: Transfer) -> None:
    account = await open_account(100)

    assert (await transfer(account, account, 10)).status_code == 422


async def test_zero_amount_is_422(open_account: OpenAccount, transfer: Transfer) -> None:
    source, target = await open_account(100), await open_account(0)

    assert (await transfer(source, target, 0)).status_code == 422


async def test_history_embeds_both_accounts_newest_first(
    client: AsyncClient, path_to: PathTo, open_account: OpenAccount, transfer: Transfer
) -> None:
    ada, bob = await open_account(100, "ada"), await open_account(100, "bob")
    await transfer(ada, bob, 10)
    await transfer(bob, ada, 20)

    response = await client.get(path_to("list_transfers", account_id=ada["id"]))

    assert response.status_code == 200
    history = response.json()
    assert [t["amount_cents"] for t in history] == [20, 10]
    assert history[0]["from_account"] == {"id": bob["id"], "owner": "bob"}
    assert history[0]["to_account"] == {"id": ada["id"], "owner": "ada"}


async def test_history_of_unknown_account_is_404(client: AsyncClient, path_to: PathTo) -> None:
    assert (await client.get(path_to("list_transfers", account_id=999999))).status_code == 404


async def test_history_takes_the_same_queries_for_any_length(
    client: AsyncClient,
    path_to: PathTo,
    open_account: OpenAccount,
    transfer: Transfer,
    count_queries: CountQueries,
) -> None:
    hub = await open_account(10_000, "hub")
    # Five counterparties: a lazy load per transfer or per account would add four queries or more.
    others = [await open_account(0, f"spoke-{n}") for n in range(5)]
    history = path_to("list_transfers", account_id=hub["id"])
    await transfer(hub, others[0], 1)
    with count_queries() as short:
        assert len((await client.get(history)).json()) == 1

    for other in others[1:]:
        await transfer(hub, other, 1)
    with count_queries() as long:
        assert len((await client.get(history)).json()) == len(others)

    assert long.count == short.count
    assert short.count <= 3


async def test_transfer_is_audited_in_its_own_transaction(
    open_account: OpenAccount, transfer: Transfer, sql: Sql
) -> None:
    source, target = await open_account(100), await open_account(0)

    sent = (await transfer(source, target, 5)).json()

    events = await sql(f"SELECT action FROM audit_events WHERE subject_id = {int(sent['id'])}")
    assert events == [("transfer.created",)]
{%- if cookiecutter.jobs == "postgres" %}


async def test_a_transfer_enqueues_its_job_and_a_refused_one_none(
    client: AsyncClient, open_account: OpenAccount, path_to: PathTo, sql: Sql
) -> None:
    source, target = await open_account(100), await open_account(0)
    jobs = (
        "SELECT convert_from(payload, 'UTF8'), headers->>'request_id' FROM pgqueuer"
        " WHERE entrypoint = 'transfer.completed' ORDER BY id"
    )
    before = len(await sql(jobs))
    body = {"from_account_id": source["id"], "to_account_id": target["id"], "amount_cents": 5}

    sent = await client.post(path_to("create_transfer"), json=body, headers={"X-Request-ID": "enqueue-1"})
    refused = await client.post(path_to("create_transfer"), json={**body, "amount_cents": 1000})

    assert (sent.status_code, refused.status_code) == (201, 409)
    rows = await sql(jobs)
    assert len(rows) == before + 1
    payload, request_id = rows[-1]
    assert (json.loads(payload)["transfer_id"], request_id) == (sent.json()["id"], "enqueue-1")
{%- endif %}


@pytest.mark.parametrize("value", HOSTILE_STRINGS, ids=repr)
async def test_hostile_owners_are_4xx(client: AsyncClient, path_to: PathTo, value: Any) -> None:
    response = await client.post(path_to("create_account"), json={"owner": value})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])


async def test_hostile_amounts_are_4xx_or_accepted(client: AsyncClient, path_to: PathTo) -> None:
    accounts, transfers = path_to("create_account"), path_to("create_transfer")
    for value in HOSTILE_NUMBERS:
        for path, body in [
            (accounts, {"owner": "o", "balance_cents": value}),
            (transfers, {"from_account_id": value, "to_account_id": 1, "amount_cents": 1}),
            (transfers, {"from_account_id": 1, "to_account_id": 2, "amount_cents": value}),
        ]:
            response = await client.post(path, json=body)
            assert response.status_code < 500, (path, value, response.status_code, response.text)
