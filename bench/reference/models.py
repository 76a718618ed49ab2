"""Request and response models of the FastAPI references: the template's shapes and bounds."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field


class ItemCreate(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    price_cents: Annotated[int, Field(ge=0)] = 0


class Item(BaseModel):
    id: int
    name: str
    description: str | None
    price_cents: int
    created_at: datetime


class ItemPage(BaseModel):
    items: list[Item]
    limit: int
    offset: int


class TransferCreate(BaseModel):
    from_account_id: Annotated[int, Field(ge=1)]
    to_account_id: Annotated[int, Field(ge=1)]
    amount_cents: Annotated[int, Field(gt=0)]


class Transfer(BaseModel):
    id: int
    from_account_id: int
    to_account_id: int
    amount_cents: int
    created_at: datetime
