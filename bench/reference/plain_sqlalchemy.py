"""What a team writes from FastAPI's recipe for SQLAlchemy's async ORM, and nothing more: an engine on
asyncpg with pool_size=20, a sessionmaker, a `yield` session dependency at FastAPI's default scope,
ORM queries the obvious way and a commit per write. The async layer's plain counterpart.
Serve: `uvicorn plain_sqlalchemy:app --app-dir bench/reference`."""

import os
from collections.abc import AsyncIterator
from typing import Annotated

import sqlalchemy_tables as tables
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Path, Query
from models import Item, ItemCreate, ItemPage, Transfer, TransferCreate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

# At import, as the recipe has it (creating the engine does not connect).
DATABASE_URL = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+asyncpg://", 1)
engine = create_async_engine(DATABASE_URL, pool_size=20)
SessionLocal = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

app = FastAPI()


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}", response_model=Item)
async def get_item(item_id: Annotated[int, Path(ge=1)], session: SessionDep):
    item = await session.get(tables.Item, item_id)
    if item is None:
        raise HTTPException(404, "Item not found.")
    return item


@app.get("/items", response_model=ItemPage)
async def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
):
    items = await session.scalars(select(tables.Item).order_by(tables.Item.id).limit(limit).offset(offset))
    return {"items": items.all(), "limit": limit, "offset": offset}


@app.post("/items", status_code=201, response_model=Item)
async def create_item(body: ItemCreate, session: SessionDep):
    item = tables.Item(**body.model_dump())
    session.add(item)
    try:
        await session.commit()
    except IntegrityError:
        raise HTTPException(409, "Name taken.") from None
    await session.refresh(item)  # as the recipe does after every commit
    return item


async def audit(action: str, subject_id: int) -> None:
    async with SessionLocal() as session:
        session.add(tables.AuditEvent(action=action, subject_id=subject_id))
        await session.commit()


@app.post("/transfers", status_code=201, response_model=Transfer)
async def create_transfer(body: TransferCreate, session: SessionDep, background: BackgroundTasks):
    # Both rows locked in id order, so two opposite transfers queue instead of deadlocking.
    locked = await session.scalars(
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
    await session.commit()
    await session.refresh(transfer)
    background.add_task(audit, "transfer.created", transfer.id)
    return transfer
