"""Delivering a job's event to a webhook, at least once: the job's id is the receiver's
Idempotency-Key, the same on every attempt, so a repeated delivery is recognised there."""

import logging
from typing import TYPE_CHECKING, Any

from pydantic import HttpUrl

if TYPE_CHECKING:
    from .kinds import Run

logger = logging.getLogger(__name__)


async def deliver(run: "Run[Any]", url: HttpUrl | str | None, body: dict[str, Any], **logged: Any) -> None:
    """POST `body` to `url` with the job's id as Idempotency-Key (unset: only log what would be sent),
    then log it with `logged`. An answer other than 2xx, or none within WEBHOOK_TIMEOUT, fails the run."""
    fields = {
        "job_id": run.id,
        "kind": run.kind,
        "subject": run.payload.subject,
        "idempotency_key": str(run.id),
    }
    if url is not None:
        headers = {"Idempotency-Key": str(run.id)}
        if run.request_id:
            headers["X-Request-ID"] = run.request_id
        response = await run.http.post(str(url), json=body, headers=headers)
        response.raise_for_status()
        fields["status"] = response.status_code
    logger.info(f"webhook {run.kind}", extra={**fields, **logged})
