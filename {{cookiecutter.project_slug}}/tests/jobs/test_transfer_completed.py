"""The example's job end to end: a transfer answered 201 by a `serve` killed at once after it is
still delivered by the worker (its job was committed with the transfer)."""

import asyncio
import signal

import httpx

{% if cookiecutter.auth == "jwt" %}from ..support.auth_provider import caller_headers
{% endif %}from ..support.live import PathTo
from ..support.polling import eventually
from ..support.protocols import Sql
from ..support.serving import serving
from ..support.webhooks import receiving
from ..support.workers import StartWorker
from ..test_accounts import delete_accounts


async def test_a_transfer_answered_201_is_delivered_though_its_process_was_killed_at_once(
    start_worker: StartWorker, live_sql: Sql, database_url: str, path_to: PathTo
) -> None:
    accounts = await live_sql(
        "INSERT INTO accounts (owner, balance_cents)"
        " VALUES ('killed-after-201', 100), ('killed-after-201', 0) RETURNING id"
    )
    [source, target] = [int(account_id) for (account_id,) in accounts]
    try:
        async with receiving() as receiver, serving(database_url, path_to) as server:
            async with httpx.AsyncClient(base_url=server.url, timeout=30{{ ", headers=caller_headers()" if cookiecutter.auth == "jwt" }}) as http:
                body = {"from_account_id": source, "to_account_id": target, "amount_cents": 5}
                sent = await http.post(path_to("create_transfer"), json=body)
            server.process.send_signal(signal.SIGKILL)  # before anything it does after the response
            await asyncio.to_thread(server.process.wait, 30)
            assert sent.status_code == 201, sent.text
            worker = await start_worker(TRANSFER_WEBHOOK_URL=receiver.url)

            async def delivered_transfer() -> bool:
                assert worker.running(), worker.tail()
                return sent.json()["id"] in {delivery.body["transfer_id"] for delivery in receiver.deliveries}

            assert await eventually(delivered_transfer, within=30), worker.tail()
    finally:
        await delete_accounts(live_sql, [source, target])
