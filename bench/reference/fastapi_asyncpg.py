"""FastAPI on a raw asyncpg pool: the template's request and response models, no ORM. Between the
ceiling (no FastAPI) and the variants (an ORM too), it shows what FastAPI itself costs.
Serve: `uvicorn fastapi_asyncpg:app --app-dir bench/reference`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import asyncpg
from fastapi import BackgroundTasks, FastAPI, HTTPException, Path, Query
from models import Item, ItemCreate, ItemPage, Transfer, TransferCreate
from queries import (
    INSERT_AUDIT,
    INSERT_ITEM,
    INSERT_TRANSFER,
    LOCK_ACCOUNTS,
    MOVE_MONEY,
    ONE_ITEM,
    PAGE_OF_ITEMS,
    POOL_MAX,
    POOL_MIN,
)

pool: asyncpg.Pool


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}")
async def get_item(item_id: Annotated[int, Path(ge=1)]) -> Item:
    row = await pool.fetchrow(ONE_ITEM, item_id)
    if row is None:
        raise HTTPException(404, "Item not found.")
    return Item.model_validate(dict(row))


@app.get("/items")
async def list_items(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, offset: Annotated[int, Query(ge=0)] = 0
) -> ItemPage:
    rows = await pool.fetch(PAGE_OF_ITEMS, limit, offset)
    return ItemPage(items=[Item.model_validate(dict(row)) for row in rows], limit=limit, offset=offset)


@app.post("/items", status_code=201)
async def create_item(body: ItemCreate) -> Item:
    try:
        row = await pool.fetchrow(INSERT_ITEM, body.name, body.description, body.price_cents)
    except asyncpg.UniqueViolationError:
        raise HTTPException(409, "Name taken.") from None
    return Item.model_validate(dict(row))


async def audit(action: str, subject_id: int) -> None:
    await pool.execute(INSERT_AUDIT, action, subject_id)


@app.post("/transfers", status_code=201)
async def create_transfer(body: TransferCreate, background: BackgroundTasks) -> Transfer:
    source, target, amount = body.from_account_id, body.to_account_id, body.amount_cents
    async with pool.acquire() as connection, connection.transaction():
        rows = await connection.fetch(LOCK_ACCOUNTS, [source, target])
        balances = {row["id"]: row["balance_cents"] for row in rows}
        if source not in balances or target not in balances:
            raise HTTPException(404, "Account not found.")
        if balances[source] < amount:
            raise HTTPException(409, "Insufficient funds.")
        await connection.execute(MOVE_MONEY, source, target, amount)
        row = await connection.fetchrow(INSERT_TRANSFER, source, target, amount)
    background.add_task(audit, "transfer.created", row["id"])
    return Transfer.model_validate(dict(row))
