"""Data access, written for Tortoise ORM; routes call these and nothing lower.

`session` is the request's connection (see db.get_db), or an Idempotency-Key's transaction. Writes
of several statements run in `transaction(session)`: a transaction of its own from the pool, or a
savepoint when `session` is one already (a key's, or the tests' rolled-back one), so a failed write
never aborts an outer transaction. A write of one statement runs alone (`one_statement`).
"""

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any

from tortoise.backends.asyncpg.client import TransactionWrapper
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from . import schemas
from .core.errors import UNIQUE_VIOLATION, Conflict, InsufficientFunds, NotFound
from .db import sqlstate
from .db.tortoise_internals import transaction
{%- if cookiecutter.jobs == "postgres" %}
from .jobs.enqueue import enqueue
from .jobs.transfers import TransferCompleted
{%- endif %}
from .models import Account, AuditEvent, Item, Transfer


def one_statement(session: BaseDBAsyncClient) -> AbstractAsyncContextManager[BaseDBAsyncClient]:
    """Where a write of a single statement runs: on the pool, where it commits by itself (one round
    trip; BEGIN and COMMIT around it would be two more, for nothing); or, when `session` is a
    transaction already (an Idempotency-Key's), in a savepoint, so its failure leaves that one usable."""
    if isinstance(session, TransactionWrapper):
        return transaction(session)
    return nullcontext(session)


def _item_name_taken(error: IntegrityError) -> Conflict | None:
    if sqlstate(error) == UNIQUE_VIOLATION:
        return Conflict("An item with that name already exists.")
    return None


async def create_item(session: BaseDBAsyncClient, data: schemas.ItemCreate) -> Item:
    try:
        async with one_statement(session) as connection:
            return await Item.create(**data.model_dump(), using_db=connection)
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None


async def create_items(session: BaseDBAsyncClient, data: Sequence[schemas.ItemCreate]) -> list[Item]:
    """All or nothing, in one batched INSERT (bulk_create pipelines the rows through executemany)."""
    names = [entry.name for entry in data]
    try:
        async with transaction(session) as connection:
            await Item.bulk_create([Item(**entry.model_dump()) for entry in data], using_db=connection)
            # executemany returns no rows, so the new ids and timestamps are read back by the unique
            # names, inside the same transaction: one more query whatever the batch size.
            created = {item.name: item for item in await Item.filter(name__in=names).using_db(connection)}
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return [created[name] for name in names]


async def get_item(session: BaseDBAsyncClient, item_id: int) -> Item:
    item = await Item.get_or_none(id=item_id, using_db=session)
    if item is None:
        raise NotFound("Item not found.")
    return item


async def list_items(session: BaseDBAsyncClient, *, limit: int, offset: int) -> list[Item]:
    return await Item.all(using_db=session).order_by("id").limit(limit).offset(offset)


async def update_item(session: BaseDBAsyncClient, item_id: int, changes: dict[str, Any]) -> Item:
    try:
        async with transaction(session) as connection:
            item = await Item.select_for_update(using_db=connection).get_or_none(id=item_id)
            if item is None:
                raise NotFound("Item not found.")
            if changes:
                item.update_from_dict(changes)
                await item.save(using_db=connection, update_fields=list(changes))
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return item


async def delete_item(session: BaseDBAsyncClient, item_id: int) -> None:
    async with one_statement(session) as connection:
        deleted = await Item.filter(id=item_id).using_db(connection).delete()
    if not deleted:
        raise NotFound("Item not found.")


async def create_account(session: BaseDBAsyncClient, data: schemas.AccountCreate) -> Account:
    async with one_statement(session) as connection:
        return await Account.create(**data.model_dump(), using_db=connection)


async def get_account(session: BaseDBAsyncClient, account_id: int) -> Account:
    account = await Account.get_or_none(id=account_id, using_db=session)
    if account is None:
        raise NotFound("Account not found.")
    return account


async def transfer(session: BaseDBAsyncClient, data: schemas.TransferCreate) -> Transfer:
    """Move money in one transaction; both rows are locked in id order, so two opposite transfers
    queue behind each other instead of deadlocking."""
    async with transaction(session) as connection:
        locked = (
            await Account.select_for_update(using_db=connection)
            .filter(id__in=[data.from_account_id, data.to_account_id])
            .order_by("id")
        )
        accounts = {account.id: account for account in locked}
        source, target = accounts.get(data.from_account_id), accounts.get(data.to_account_id)
        if source is None or target is None:
            raise NotFound("Account not found.")
        if source.balance_cents < data.amount_cents:
            raise InsufficientFunds("The source account's balance is too low.")
        source.balance_cents -= data.amount_cents
        target.balance_cents += data.amount_cents
        # One UPDATE for both rows (a CASE on the id): a round trip less while they are locked, and
        # every transfer on these accounts queues behind that time.
        await Account.bulk_update([source, target], fields=["balance_cents"], using_db=connection)
        record = await Transfer.create(
            from_account_id=source.id,
            to_account_id=target.id,
            amount_cents=data.amount_cents,
            using_db=connection,
        )
        # The audit record is data: written in the transfer's transaction, it commits with it.
        await AuditEvent.create(action="transfer.created", subject_id=record.id, using_db=connection)
{%- if cookiecutter.jobs == "postgres" %}
        # The side effect outside the database, as a job in this same transaction.
        await enqueue(connection, "transfer.completed", TransferCompleted.of(record))
{%- endif %}
    return record


async def list_transfers(
    session: BaseDBAsyncClient, account_id: int, *, limit: int, offset: int
) -> list[Transfer]:
    """Newest first, with both accounts joined into the same query: two queries for any page size."""
    await get_account(session, account_id)
    return (
        await Transfer.filter(Q(from_account_id=account_id) | Q(to_account_id=account_id))
        .using_db(session)
        .select_related("from_account", "to_account")
        .order_by("-id")
        .limit(limit)
        .offset(offset)
    )
