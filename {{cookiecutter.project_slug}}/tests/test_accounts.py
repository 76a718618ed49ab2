"""Accounts and transfers: atomic moves, 409 without side effects, eager-loaded history, audit."""

from typing import Any

from httpx import AsyncClient

from .protocols import CountQueries, Sql


async def open_account(client: AsyncClient, balance_cents: int, owner: str = "ada") -> dict[str, Any]:
    response = await client.post("/accounts", json={"owner": owner, "balance_cents": balance_cents})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def balance(client: AsyncClient, account: dict[str, Any]) -> int:
    response = await client.get(f"/accounts/{account['id']}")
    assert response.status_code == 200
    cents: int = response.json()["balance_cents"]
    return cents


async def send(client: AsyncClient, source: dict[str, Any], target: dict[str, Any], cents: int) -> Any:
    body = {"from_account_id": source["id"], "to_account_id": target["id"], "amount_cents": cents}
    return await client.post("/transfers", json=body)


async def test_create_and_read_account(client: AsyncClient) -> None:
    account = await open_account(client, 500, owner="grace")

    response = await client.get(f"/accounts/{account['id']}")

    assert response.status_code == 200
    assert response.json() == account
    assert account["owner"] == "grace"


async def test_negative_opening_balance_is_422(client: AsyncClient) -> None:
    response = await client.post("/accounts", json={"owner": "x", "balance_cents": -1})

    assert response.status_code == 422


async def test_unknown_account_is_404(client: AsyncClient) -> None:
    assert (await client.get("/accounts/999999")).status_code == 404


async def test_transfer_moves_money(client: AsyncClient) -> None:
    source, target = await open_account(client, 1000), await open_account(client, 0)

    response = await send(client, source, target, 300)

    assert response.status_code == 201
    assert response.json()["amount_cents"] == 300
    assert (await balance(client, source), await balance(client, target)) == (700, 300)


async def test_insufficient_funds_is_409_and_changes_nothing(client: AsyncClient, sql: Sql) -> None:
    source, target = await open_account(client, 100), await open_account(client, 0)

    response = await send(client, source, target, 101)

    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_funds"
    assert (await balance(client, source), await balance(client, target)) == (100, 0)
    assert await sql("SELECT id FROM transfers") == []


async def test_transfer_to_unknown_account_is_404_and_changes_nothing(client: AsyncClient) -> None:
    source = await open_account(client, 100)

    response = await send(client, source, {"id": 999999}, 10)

    assert response.status_code == 404
    assert await balance(client, source) == 100


async def test_transfer_to_the_same_account_is_422(client: AsyncClient) -> None:
    account = await open_account(client, 100)

    assert (await send(client, account, account, 10)).status_code == 422


async def test_zero_amount_is_422(client: AsyncClient) -> None:
    source, target = await open_account(client, 100), await open_account(client, 0)

    assert (await send(client, source, target, 0)).status_code == 422


async def test_history_embeds_both_accounts_newest_first(client: AsyncClient) -> None:
    ada, bob = await open_account(client, 100, "ada"), await open_account(client, 100, "bob")
    await send(client, ada, bob, 10)
    await send(client, bob, ada, 20)

    response = await client.get(f"/accounts/{ada['id']}/transfers")

    assert response.status_code == 200
    history = response.json()
    assert [t["amount_cents"] for t in history] == [20, 10]
    assert history[0]["from_account"] == {"id": bob["id"], "owner": "bob"}
    assert history[0]["to_account"] == {"id": ada["id"], "owner": "ada"}


async def test_history_of_unknown_account_is_404(client: AsyncClient) -> None:
    assert (await client.get("/accounts/999999/transfers")).status_code == 404


async def test_history_takes_the_same_queries_for_any_length(
    client: AsyncClient, count_queries: CountQueries
) -> None:
    hub = await open_account(client, 10_000, "hub")
    others = [await open_account(client, 0, f"spoke-{n}") for n in range(20)]
    await send(client, hub, others[0], 1)
    with count_queries() as short:
        assert len((await client.get(f"/accounts/{hub['id']}/transfers")).json()) == 1

    for other in others[1:]:
        await send(client, hub, other, 1)
    with count_queries() as long:
        assert len((await client.get(f"/accounts/{hub['id']}/transfers")).json()) == 20

    assert long.count == short.count
    assert short.count <= 3


async def test_transfer_is_audited_in_the_background(client: AsyncClient, sql: Sql) -> None:
    source, target = await open_account(client, 100), await open_account(client, 0)

    transfer = (await send(client, source, target, 5)).json()

    events = await sql(f"SELECT action FROM audit_events WHERE subject_id = {int(transfer['id'])}")
    assert events == [("transfer.created",)]
