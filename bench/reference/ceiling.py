"""The practical ceiling: Starlette and a raw asyncpg pool, no ORM, no validation library, the same
queries and JSON as the template's endpoints. Serve: `uvicorn ceiling:app --app-dir bench/reference`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
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
    row_json,
)
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

pool: asyncpg.Pool


def not_found(what: str) -> JSONResponse:
    return JSONResponse({"code": "not_found", "detail": f"{what} not found."}, status_code=404)


async def live(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def get_item(request: Request) -> JSONResponse:
    row = await pool.fetchrow(ONE_ITEM, int(request.path_params["item_id"]))
    return JSONResponse(row_json(dict(row))) if row else not_found("Item")


async def list_items(request: Request) -> JSONResponse:
    limit = min(int(request.query_params.get("limit", 50)), 100)
    offset = int(request.query_params.get("offset", 0))
    rows = await pool.fetch(PAGE_OF_ITEMS, limit, offset)
    return JSONResponse({"items": [row_json(dict(row)) for row in rows], "limit": limit, "offset": offset})


async def create_item(request: Request) -> JSONResponse:
    body = await request.json()
    try:
        row = await pool.fetchrow(
            INSERT_ITEM, body["name"], body.get("description"), body.get("price_cents", 0)
        )
    except asyncpg.UniqueViolationError:
        return JSONResponse({"code": "conflict", "detail": "Name taken."}, status_code=409)
    return JSONResponse(row_json(dict(row)), status_code=201)


async def audit(action: str, subject_id: int) -> None:
    await pool.execute(INSERT_AUDIT, action, subject_id)


async def create_transfer(request: Request) -> JSONResponse:
    body = await request.json()
    source, target, amount = body["from_account_id"], body["to_account_id"], body["amount_cents"]
    async with pool.acquire() as connection, connection.transaction():
        balances = {
            row["id"]: row["balance_cents"] for row in await connection.fetch(LOCK_ACCOUNTS, [source, target])
        }
        if source not in balances or target not in balances:
            return not_found("Account")
        if balances[source] < amount:
            return JSONResponse({"code": "insufficient_funds", "detail": "Too low."}, status_code=409)
        await connection.execute(MOVE_MONEY, source, target, amount)
        row = await connection.fetchrow(INSERT_TRANSFER, source, target, amount)
    return JSONResponse(
        row_json(dict(row)), status_code=201, background=BackgroundTask(audit, "transfer.created", row["id"])
    )


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=POOL_MIN, max_size=POOL_MAX)
    try:
        yield
    finally:
        await pool.close()


app = Starlette(
    routes=[
        Route("/health/live", live),
        Route("/items", list_items, methods=["GET"]),
        Route("/items", create_item, methods=["POST"]),
        Route("/items/{item_id:int}", get_item),
        Route("/transfers", create_transfer, methods=["POST"]),
    ],
    lifespan=lifespan,
)
