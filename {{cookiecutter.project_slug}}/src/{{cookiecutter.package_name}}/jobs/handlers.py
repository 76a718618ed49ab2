"""What each kind of job does when a worker runs it."""

import logging
from typing import TYPE_CHECKING

from .payloads import TransferCompleted

if TYPE_CHECKING:
    from .kinds import Run

logger = logging.getLogger(__name__)


async def notify_transfer_completed(run: "Run[TransferCompleted]") -> None:
    """POST the transfer to TRANSFER_WEBHOOK_URL (unset: only log what would be sent). The job's id
    goes as the receiver's Idempotency-Key, the same on every attempt, so a repeated delivery is
    recognised there; an answer other than 2xx, or none within WEBHOOK_TIMEOUT, fails the run."""
    transfer = run.payload
    fields = {"job_id": run.id, "kind": run.kind, "subject": transfer.subject, "idempotency_key": str(run.id)}
    url = run.settings.transfer_webhook_url
    if url is not None:
        headers = {"Idempotency-Key": str(run.id)}
        if run.request_id:
            headers["X-Request-ID"] = run.request_id
        response = await run.http.post(
            str(url), json={"event": run.kind, **transfer.model_dump(mode="json")}, headers=headers
        )
        response.raise_for_status()
        fields["status"] = response.status_code
    logger.info("webhook transfer.completed", extra={**fields, "amount_cents": transfer.amount_cents})
