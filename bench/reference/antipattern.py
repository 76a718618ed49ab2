"""The anti-pattern: `async def` FastAPI endpoints that call a sync driver (psycopg) directly, so
every query blocks the event loop and the whole server serves one request at a time while the
database answers. The same models and SQL as the FastAPI reference, one transaction per request.
Serve: `uvicorn antipattern:app --app-dir bench/reference`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import psycopg
from fastapi import BackgroundTasks, FastAPI, HTTPException, Path, Query
from models import Item, ItemCreate, ItemPage, Transfer, TransferCreate
from psycopg.rows import dict_row
from queries import (
    INSERT_AUDIT,
    INSERT_ITEM,
    INSERT_TRANSFER,
    LOCK_ACCOUNTS,
    MOVE_MONEY,
    ONE_ITEM,
    PAGE_OF_ITEMS,
    as_psycopg,
    numbered,
)

# One connection is all it can use: nothing else runs on the loop while a query waits.
connection: psycopg.Connection[dict[str, Any]]


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global connection
    connection = psycopg.connect(os.environ["DATABASE_URL"], row_factory=dict_row)
    try:
        yield
    finally:
        connection.close()


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}")
async def get_item(item_id: Annotated[int, Path(ge=1)]) -> Item:
    with connection.transaction():
        row = connection.execute(as_psycopg(ONE_ITEM), numbered(item_id)).fetchone()
    if row is None:
        raise HTTPException(404, "Item not found.")
    return Item.model_validate(row)


@app.get("/items")
async def list_items(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, offset: Annotated[int, Query(ge=0)] = 0
) -> ItemPage:
    with connection.transaction():
        rows = connection.execute(as_psycopg(PAGE_OF_ITEMS), numbered(limit, offset)).fetchall()
    return ItemPage(items=[Item.model_validate(row) for row in rows], limit=limit, offset=offset)


@app.post("/items", status_code=201)
async def create_item(body: ItemCreate) -> Item:
    try:
        with connection.transaction():
            row = connection.execute(
                as_psycopg(INSERT_ITEM), numbered(body.name, body.description, body.price_cents)
            )
            created = row.fetchone()
    except psycopg.errors.UniqueViolation:
        raise HTTPException(409, "Name taken.") from None
    return Item.model_validate(created)


async def audit(action: str, subject_id: int) -> None:
    with connection.transaction():
        connection.execute(as_psycopg(INSERT_AUDIT), numbered(action, subject_id))


@app.post("/transfers", status_code=201)
async def create_transfer(body: TransferCreate, background: BackgroundTasks) -> Transfer:
    source, target, amount = body.from_account_id, body.to_account_id, body.amount_cents
    with connection.transaction():
        rows = connection.execute(as_psycopg(LOCK_ACCOUNTS), numbered([source, target])).fetchall()
        balances = {row["id"]: row["balance_cents"] for row in rows}
        if source not in balances or target not in balances:
            raise HTTPException(404, "Account not found.")
        if balances[source] < amount:
            raise HTTPException(409, "Insufficient funds.")
        connection.execute(as_psycopg(MOVE_MONEY), numbered(source, target, amount))
        row = connection.execute(as_psycopg(INSERT_TRANSFER), numbered(source, target, amount)).fetchone()
    assert row is not None
    background.add_task(audit, "transfer.created", row["id"])
    return Transfer.model_validate(row)
