"""Accounts, transfers between them, and each account's transfer history."""

from fastapi import APIRouter, BackgroundTasks, status

from .. import repository, schemas
from ..db import SessionDep
from .deps import DatabaseDep
from .params import AccountId, Limit, Offset
from .responses import Kind, responses

router = APIRouter(tags=["accounts"])


@router.post("/accounts", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
async def create_account(body: schemas.AccountCreate, session: SessionDep) -> schemas.Account:
    return schemas.Account.model_validate(await repository.create_account(session, body))


@router.get("/accounts/{account_id}", responses=responses(Kind.READ))
async def get_account(account_id: AccountId, session: SessionDep) -> schemas.Account:
    return schemas.Account.model_validate(await repository.get_account(session, account_id))


@router.get("/accounts/{account_id}/transfers", responses=responses(Kind.READ))
async def list_transfers(
    account_id: AccountId, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> list[schemas.TransferDetail]:
    transfers = await repository.list_transfers(session, account_id, limit=limit, offset=offset)
    return [schemas.TransferDetail.model_validate(transfer) for transfer in transfers]


# A transfer moves money between accounts that must exist: a change to them more than a creation.
@router.post("/transfers", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CHANGE))
async def create_transfer(
    body: schemas.TransferCreate, session: SessionDep, database: DatabaseDep, background: BackgroundTasks
) -> schemas.Transfer:
    transfer = schemas.Transfer.model_validate(await repository.transfer(session, body))
    # After the response, in a session of its own: the request's session is closed by then.
    background.add_task(repository.record_audit, database, "transfer.created", transfer.id)
    return transfer
