"""What each kind of job does when a worker runs it."""

import logging
from typing import TYPE_CHECKING

from .payloads import TransferCompleted

if TYPE_CHECKING:
    from .kinds import Run

logger = logging.getLogger(__name__)


async def notify_transfer_completed(run: "Run[TransferCompleted]") -> None:
    """Stands in for a webhook call: one JSON log line with what the receiver would get. A real
    call sends `run.id` as its idempotency key, so a repeated delivery is recognised there."""
    transfer = run.payload
    logger.info(
        "webhook transfer.completed",
        extra={
            "job_id": run.id,
            "kind": run.kind,
            "subject": transfer.subject,
            "amount_cents": transfer.amount_cents,
            "idempotency_key": str(run.id),
        },
    )
