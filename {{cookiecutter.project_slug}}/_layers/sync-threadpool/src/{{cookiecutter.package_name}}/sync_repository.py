"""Data access, written for SQLAlchemy's sync session: plain blocking functions for any sync caller.

The app reaches them only through `repository`, on worker threads; scripts and workers may call
them directly.

Every function runs its statements in `with session.begin()` (a write, one database transaction)
or `with reading(session)` (a read, each statement on its own in autocommit): either ends before the
function returns and the connection goes back to the pool, so a connection is held only while a
worker thread runs, never between two threaded calls of one request.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import queries, schemas
from .core.errors import UNIQUE_VIOLATION, Conflict, InsufficientFunds, NotFound
from .db.sqlalchemy_engine import sqlstate
{%- if cookiecutter.jobs == "postgres" %}
from .jobs.enqueue import enqueue
from .jobs.transfers import TransferCompleted
{%- endif %}
from .models import Account, AuditEvent, Item, Transfer


@contextmanager
def reading(session: Session) -> Iterator[None]:
    """A read's scope: its statements autocommit, as the app's connections rest (no BEGIN and
    ROLLBACK round trips), and its connection goes back to the pool when it ends."""
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    # Ends the session's own transaction; the server has none to end. A commit, not a rollback: a
    # rollback would expire what was read (expire_on_commit=False spares commits only).
    session.commit()


def _item_name_taken(error: IntegrityError) -> Conflict | None:
    if sqlstate(error) == UNIQUE_VIOLATION:
        return Conflict("An item with that name already exists.")
    return None


def create_item(session: Session, data: schemas.ItemCreate) -> Item:
    item = Item(**data.model_dump())
    try:
        with session.begin():
            session.add(item)
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return item


def create_items(session: Session, data: Sequence[schemas.ItemCreate]) -> Sequence[Item]:
    """All or nothing, in batched multi-row INSERT ... RETURNING statements, not one per item."""
    rows = [entry.model_dump() for entry in data]
    try:
        with session.begin():
            return session.scalars(insert(Item).returning(Item, sort_by_parameter_order=True), rows).all()
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None


def _item(session: Session, item_id: int) -> Item:
    item = session.scalar(queries.ITEM, {"item_id": item_id})
    if item is None:
        raise NotFound("Item not found.")
    return item


def get_item(session: Session, item_id: int) -> Item:
    with reading(session):
        return _item(session, item_id)


def list_items(session: Session, *, limit: int, offset: int) -> Sequence[Item]:
    with reading(session):
        return session.scalars(queries.ITEMS_PAGE, {"limit": limit, "offset": offset}).all()


def update_item(session: Session, item_id: int, changes: dict[str, Any]) -> Item:
    try:
        with session.begin():
            item = session.scalar(queries.ITEM_TO_CHANGE, {"item_id": item_id})
            if item is None:
                raise NotFound("Item not found.")
            for field, value in changes.items():
                setattr(item, field, value)
    except IntegrityError as error:
        raise (_item_name_taken(error) or error) from None
    return item


def delete_item(session: Session, item_id: int) -> None:
    with session.begin():
        deleted = session.scalar(delete(Item).where(Item.id == item_id).returning(Item.id))
    if deleted is None:
        raise NotFound("Item not found.")


def create_account(session: Session, data: schemas.AccountCreate) -> Account:
    account = Account(**data.model_dump())
    with session.begin():
        session.add(account)
    return account


def _account(session: Session, account_id: int) -> Account:
    account = session.scalar(queries.ACCOUNT, {"account_id": account_id})
    if account is None:
        raise NotFound("Account not found.")
    return account


def get_account(session: Session, account_id: int) -> Account:
    with reading(session):
        return _account(session, account_id)


def transfer(session: Session, data: schemas.TransferCreate) -> Transfer:
    """Move money in one transaction; both rows are locked in id order, so two opposite transfers
    queue behind each other instead of deadlocking."""
    with session.begin():
        ids = [data.from_account_id, data.to_account_id]
        locked = session.scalars(queries.ACCOUNTS_TO_LOCK, {"ids": ids})
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
        session.flush()  # the new id, for the records below
        # The audit record is data: written in the transfer's transaction, it commits with it.
        session.add(AuditEvent(action="transfer.created", subject_id=record.id))
{%- if cookiecutter.jobs == "postgres" %}
        # The side effect outside the database, as a job in this same transaction.
        enqueue(session, "transfer.completed", TransferCompleted.of(record))
{%- endif %}
    return record


def list_transfers(session: Session, account_id: int, *, limit: int, offset: int) -> Sequence[Transfer]:
    """Newest first, with both accounts loaded in the same query: two queries for any page size."""
    with reading(session):
        _account(session, account_id)
        page = {"account_id": account_id, "limit": limit, "offset": offset}
        return session.scalars(queries.TRANSFERS_PAGE, page).all()
