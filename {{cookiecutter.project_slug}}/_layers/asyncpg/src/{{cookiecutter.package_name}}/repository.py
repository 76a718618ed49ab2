"""Data access, written for SQLAlchemy's async session; routes call these and nothing lower."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from . import queries, schemas
from .core.errors import UNIQUE_VIOLATION, Conflict, InsufficientFunds, NotFound
from .db.sqlalchemy_engine import sqlstate
{%- if cookiecutter.jobs == "postgres" %}
from .jobs.enqueue import enqueue
from .jobs.transfers import TransferCompleted
{%- endif %}
from .models import Account, AuditEvent, Item, Transfer


def _item_name_taken(error: IntegrityError) -> Conflict | None:
    if sqlstate(error) == UNIQUE_VIOLATION:
        return Conflict("An item with that name already exists.")
    return None


async def create_item(session: AsyncSession, data: schemas.ItemCreate) -> Item:
    item = Item(**data.model_dump())
    try:
        async with session.begin():
            session.add(item)
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return item


async def create_items(session: AsyncSession, data: Sequence[schemas.ItemCreate]) -> Sequence[Item]:
    """All or nothing, in batched multi-row INSERT ... RETURNING statements, not one per item."""
    rows = [entry.model_dump() for entry in data]
    try:
        async with session.begin():
            result = await session.scalars(insert(Item).returning(Item, sort_by_parameter_order=True), rows)
            return result.all()
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None


async def get_item(session: AsyncSession, item_id: int) -> Item:
    item = await session.scalar(queries.ITEM, {"item_id": item_id})
    if item is None:
        raise NotFound("Item not found.")
    return item


async def list_items(session: AsyncSession, *, limit: int, offset: int) -> Sequence[Item]:
    result = await session.scalars(queries.ITEMS_PAGE, {"limit": limit, "offset": offset})
    return result.all()


async def update_item(session: AsyncSession, item_id: int, changes: dict[str, Any]) -> Item:
    try:
        async with session.begin():
            item = await session.scalar(queries.ITEM_TO_CHANGE, {"item_id": item_id})
            if item is None:
                raise NotFound("Item not found.")
            for field, value in changes.items():
                setattr(item, field, value)
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return item


async def delete_item(session: AsyncSession, item_id: int) -> None:
    async with session.begin():
        deleted = await session.scalar(delete(Item).where(Item.id == item_id).returning(Item.id))
    if deleted is None:
        raise NotFound("Item not found.")


async def create_account(session: AsyncSession, data: schemas.AccountCreate) -> Account:
    account = Account(**data.model_dump())
    async with session.begin():
        session.add(account)
    return account


async def get_account(session: AsyncSession, account_id: int) -> Account:
    account = await session.scalar(queries.ACCOUNT, {"account_id": account_id})
    if account is None:
        raise NotFound("Account not found.")
    return account


async def transfer(session: AsyncSession, data: schemas.TransferCreate) -> Transfer:
    """Move money in one transaction; both rows are locked in id order, so two opposite transfers
    queue behind each other instead of deadlocking."""
    async with session.begin():
        ids = [data.from_account_id, data.to_account_id]
        locked = await session.scalars(queries.ACCOUNTS_TO_LOCK, {"ids": ids})
        accounts = {account.id: account for account in locked}
        source, target = accounts.get(data.from_account_id), accounts.get(data.to_account_id)
        if source is None or target is None:
            raise NotFound("Account not found.")
        if source.balance_cents < data.amount_cents:
            raise InsufficientFunds("The source account's balance is too low.")
        source.balance_cents -= data.amount_cents
        target.balance_cents += data.amount_cents
        record = Transfer(**data.model_dump())
        session.add(record)
        await session.flush()  # the new id, for the records below
        # The audit record is data: written in the transfer's transaction, it commits with it.
        session.add(AuditEvent(action="transfer.created", subject_id=record.id))
{%- if cookiecutter.jobs == "postgres" %}
        # The side effect outside the database, as a job in this same transaction.
        await enqueue(session, "transfer.completed", TransferCompleted.of(record))
{%- endif %}
    return record


async def list_transfers(
    session: AsyncSession, account_id: int, *, limit: int, offset: int
) -> Sequence[Transfer]:
    """Newest first, with both accounts loaded in the same query: two queries for any page size."""
    await get_account(session, account_id)
    page = {"account_id": account_id, "limit": limit, "offset": offset}
    result = await session.scalars(queries.TRANSFERS_PAGE, page)
    return result.all()
