"""What a team writes in the full-stack FastAPI template's style, and nothing more: `def` routes, a
`yield` sync Session dependency at FastAPI's default scope, SQLAlchemy's sync ORM on psycopg 3 with
`create_engine`'s default pool (5 connections plus 10 overflow, 30 s to wait for one; the full-stack
template passes nothing else). The sync layer's plain counterpart, and known to stall: FastAPI runs
each route, its dependency and its response's validation on AnyIO's 40 worker threads, so past
about 40 requests at once every thread can wait for a connection that only a thread could give back;
and the session closes only after the response and its background task, so from about 14
transfers at once each holds a connection while its audit waits for another.
Serve: `uvicorn plain_sync:app --app-dir bench/reference`."""

import os
from collections.abc import Iterator
from typing import Annotated

import sqlalchemy_tables as tables
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Path, Query
from models import Item, ItemCreate, ItemPage, Transfer, TransferCreate
from sqlalchemy import create_engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
engine = create_engine(DATABASE_URL)


def get_db() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]

app = FastAPI()


@app.get("/health/live")
def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}", response_model=Item)
def get_item(item_id: Annotated[int, Path(ge=1)], session: SessionDep):
    item = session.get(tables.Item, item_id)
    if item is None:
        raise HTTPException(404, "Item not found.")
    return item


@app.get("/items", response_model=ItemPage)
def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    items = session.scalars(select(tables.Item).order_by(tables.Item.id).limit(limit).offset(offset))
    return {"items": items.all(), "limit": limit, "offset": offset}


@app.post("/items", status_code=201, response_model=Item)
def create_item(body: ItemCreate, session: SessionDep):
    item = tables.Item(**body.model_dump())
    session.add(item)
    try:
        session.commit()
    except IntegrityError:
        raise HTTPException(409, "Name taken.") from None
    session.refresh(item)  # as the full-stack template does after every commit
    return item


def audit(action: str, subject_id: int) -> None:
    with Session(engine) as session:
        session.add(tables.AuditEvent(action=action, subject_id=subject_id))
        session.commit()


@app.post("/transfers", status_code=201, response_model=Transfer)
def create_transfer(body: TransferCreate, session: SessionDep, background: BackgroundTasks):
    # Both rows locked in id order, so two opposite transfers queue instead of deadlocking.
    locked = session.scalars(
        select(tables.Account)
        .where(tables.Account.id.in_([body.from_account_id, body.to_account_id]))
        .order_by(tables.Account.id)
        .with_for_update()
    )
    accounts = {account.id: account for account in locked}
    source, target = accounts.get(body.from_account_id), accounts.get(body.to_account_id)
    if source is None or target is None:
        raise HTTPException(404, "Account not found.")
    if source.balance_cents < body.amount_cents:
        raise HTTPException(409, "Insufficient funds.")
    source.balance_cents -= body.amount_cents
    target.balance_cents += body.amount_cents
    transfer = tables.Transfer(**body.model_dump())
    session.add(transfer)
    session.commit()
    session.refresh(transfer)
    background.add_task(audit, "transfer.created", transfer.id)
    return transfer
