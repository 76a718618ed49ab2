"""What a team writes from Tortoise's FastAPI guide, and nothing more: `RegisterTortoise` in the
lifespan with its defaults (an asyncpg pool of 1 to 5 connections), the models, and queries the
obvious way: `get_or_none`, `create`, and `in_transaction()` with `select_for_update()` for the
transfer. The Tortoise layer's plain counterpart.
Serve: `uvicorn plain_tortoise:app --app-dir bench/reference`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import tortoise_tables as tables
from fastapi import BackgroundTasks, FastAPI, HTTPException, Path, Query
from models import Item, ItemCreate, ItemPage, Transfer, TransferCreate
from tortoise.contrib.fastapi import RegisterTortoise
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with RegisterTortoise(
        app, db_url=os.environ["DATABASE_URL"], modules={"models": ["tortoise_tables"]}
    ):
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items/{item_id}", response_model=Item)
async def get_item(item_id: Annotated[int, Path(ge=1)]):
    item = await tables.Item.get_or_none(id=item_id)
    if item is None:
        raise HTTPException(404, "Item not found.")
    return item


@app.get("/items", response_model=ItemPage)
async def list_items(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, offset: Annotated[int, Query(ge=0)] = 0
):
    items = await tables.Item.all().order_by("id").offset(offset).limit(limit)
    return {"items": items, "limit": limit, "offset": offset}


@app.post("/items", status_code=201, response_model=Item)
async def create_item(body: ItemCreate):
    try:
        return await tables.Item.create(**body.model_dump())
    except IntegrityError:
        raise HTTPException(409, "Name taken.") from None


async def audit(action: str, subject_id: int) -> None:
    await tables.AuditEvent.create(action=action, subject_id=subject_id)


@app.post("/transfers", status_code=201, response_model=Transfer)
async def create_transfer(body: TransferCreate, background: BackgroundTasks):
    async with in_transaction():
        # Both rows locked in id order, so two opposite transfers queue instead of deadlocking.
        locked = (
            await tables.Account.filter(id__in=[body.from_account_id, body.to_account_id])
            .order_by("id")
            .select_for_update()
        )
        accounts = {account.id: account for account in locked}
        source, target = accounts.get(body.from_account_id), accounts.get(body.to_account_id)
        if source is None or target is None:
            raise HTTPException(404, "Account not found.")
        if source.balance_cents < body.amount_cents:
            raise HTTPException(409, "Insufficient funds.")
        source.balance_cents -= body.amount_cents
        target.balance_cents += body.amount_cents
        await source.save()
        await target.save()
        transfer = await tables.Transfer.create(
            from_account_id=source.id, to_account_id=target.id, amount_cents=body.amount_cents
        )
    background.add_task(audit, "transfer.created", transfer.id)
    return transfer
