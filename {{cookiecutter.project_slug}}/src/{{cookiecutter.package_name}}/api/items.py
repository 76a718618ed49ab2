"""Items: CRUD, a bounded page, and a batched bulk insert."""

from typing import Annotated

from fastapi import APIRouter, Body, status

from .. import repository, schemas
from ..db import SessionDep
from .idempotency import document, idempotent
from .params import ItemId, Limit, Offset
from .responses import Kind, responses

router = APIRouter(prefix="/items", tags=["items"])

BulkBody = Annotated[list[schemas.ItemCreate], Body(min_length=1, max_length=schemas.MAX_BULK)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
@idempotent
async def create_item(body: schemas.ItemCreate, session: SessionDep) -> schemas.Item:
    return schemas.Item.model_validate(await repository.create_item(session, body))


@router.post("/bulk", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
@idempotent
async def create_items(body: BulkBody, session: SessionDep) -> list[schemas.Item]:
    items = await repository.create_items(session, body)
    return [schemas.Item.model_validate(item) for item in items]


@router.get("", responses=responses(Kind.LIST))
async def list_items(session: SessionDep, limit: Limit = 50, offset: Offset = 0) -> schemas.ItemPage:
    items = await repository.list_items(session, limit=limit, offset=offset)
    return schemas.ItemPage(
        items=[schemas.Item.model_validate(item) for item in items], limit=limit, offset=offset
    )


@router.get("/{item_id}", responses=responses(Kind.READ))
async def get_item(item_id: ItemId, session: SessionDep) -> schemas.Item:
    return schemas.Item.model_validate(await repository.get_item(session, item_id))


@router.patch("/{item_id}", responses=responses(Kind.CHANGE))
async def update_item(item_id: ItemId, body: schemas.ItemUpdate, session: SessionDep) -> schemas.Item:
    changes = body.model_dump(exclude_unset=True)
    return schemas.Item.model_validate(await repository.update_item(session, item_id, changes))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Kind.DELETE))
async def delete_item(item_id: ItemId, session: SessionDep) -> None:
    await repository.delete_item(session, item_id)


# The schema's word on the replay header and a reused key, for the idempotent routes above.
document(router)
