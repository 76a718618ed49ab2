"""Request and response bodies. Bounds match the columns, so the database never sees a value it rejects."""

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_ID = 2**31 - 1  # PostgreSQL integer
MAX_CENTS = 10**15  # far inside bigint; still a sane amount of money
MAX_PAGE = 100
MAX_OFFSET = 1_000_000
MAX_BULK = 1000

# PostgreSQL text cannot hold NUL; refused here, it is a 422 instead of a database error.
WITHOUT_NUL = r"^[^\x00]*$"
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=WITHOUT_NUL)]
Description = Annotated[str, Field(max_length=2000, pattern=WITHOUT_NUL)]
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class RequestBody(BaseModel):
    """A body a client sends: a field the model does not name is refused (422), not dropped, so a
    misspelt field cannot pass for an omitted one. Responses stay open: a client may ignore fields."""

    model_config = ConfigDict(extra="forbid")


class ReadFromModel(BaseModel):
    """A response body read from an ORM object's attributes (the driver's model instance)."""

    model_config = ConfigDict(from_attributes=True)


class ItemCreate(RequestBody):
    name: Name
    description: Description | None = None
    price_cents: Cents = 0


class ItemUpdate(RequestBody):
    """A partial update: omitted fields stay as they are."""

    name: Name | None = None
    description: Description | None = None
    price_cents: Cents | None = None

    @field_validator("name", "price_cents")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be omitted, not null")
        return value


class Item(ReadFromModel):
    id: int
    name: str
    description: str | None
    price_cents: int
    created_at: datetime


class ItemPage(BaseModel):
    items: list[Item]
    limit: int
    offset: int


class AccountCreate(RequestBody):
    owner: Name
    balance_cents: Cents = 0


class Account(ReadFromModel):
    id: int
    owner: str
    balance_cents: int
    created_at: datetime


class AccountRef(ReadFromModel):
    id: int
    owner: str


class TransferCreate(RequestBody):
    from_account_id: Id
    to_account_id: Id
    amount_cents: Annotated[int, Field(gt=0, le=MAX_CENTS)]

    @model_validator(mode="after")
    def _two_accounts(self) -> Self:
        if self.from_account_id == self.to_account_id:
            raise ValueError("from_account_id and to_account_id must differ")
        return self


class Transfer(ReadFromModel):
    id: int
    from_account_id: int
    to_account_id: int
    amount_cents: int
    created_at: datetime


class TransferDetail(Transfer):
    from_account: AccountRef
    to_account: AccountRef


class Problem(BaseModel):
    """One reason input was refused: where (`loc`) and why, never the value itself."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error the service sends: `code` is stable, for programs to branch on; `detail` is for
    people, and for `invalid_request` it lists each problem."""

    code: str
    detail: str | list[Problem]


class Liveness(BaseModel):
    status: str


class Readiness(Liveness):
    pool: dict[str, int]  # the driver's figures: size, checked_out, ... (the names vary by driver)
