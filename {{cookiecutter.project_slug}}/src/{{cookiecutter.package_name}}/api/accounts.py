"""Accounts, transfers between them, and each account's transfer history."""
{% if cookiecutter.jobs == "none" %}
import logging
{% endif %}
from fastapi import APIRouter, {% if cookiecutter.jobs == "none" %}BackgroundTasks, {% endif %}status

from .. import repository, schemas
from ..db import SessionDep
from .idempotency import document, idempotent
from .params import AccountId, Limit, Offset
from .responses import Kind, responses

router = APIRouter(tags=["accounts"])
{%- if cookiecutter.jobs == "none" %}
logger = logging.getLogger(__name__)
{%- endif %}


@router.post("/accounts", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
@idempotent
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
{%- if cookiecutter.jobs == "postgres" %}
# Its audit record and its transfer.completed job are written in its own transaction (repository).
@router.post("/transfers", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CHANGE))
@idempotent
async def create_transfer(body: schemas.TransferCreate, session: SessionDep) -> schemas.Transfer:
    return schemas.Transfer.model_validate(await repository.transfer(session, body))
{%- else %}
@router.post("/transfers", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CHANGE))
@idempotent
async def create_transfer(
    body: schemas.TransferCreate, session: SessionDep, background: BackgroundTasks
) -> schemas.Transfer:
    transfer = schemas.Transfer.model_validate(await repository.transfer(session, body))
    # Best effort, after the response, in this process's memory: lost if the process dies first.
    background.add_task(notify_transfer_completed, transfer)
    return transfer


async def notify_transfer_completed(transfer: schemas.Transfer) -> None:
    """Stands in for a webhook call: one log line with what the receiver would get."""
    logger.info(
        "webhook transfer.completed",
        extra={"subject": str(transfer.id), "amount_cents": transfer.amount_cents},
    )
{%- endif %}


# The schema's word on the replay header and a reused key, for the idempotent routes above.
document(router)
