"""The example's kind of job: a completed transfer, posted to TRANSFER_WEBHOOK_URL."""

from typing import TYPE_CHECKING, Protocol, Self

from .payloads import Payload
from .webhooks import deliver

if TYPE_CHECKING:
    from .kinds import Run


class TransferRecord(Protocol):
    """A transfer as any layer's model holds it."""

    @property
    def id(self) -> int: ...
    @property
    def from_account_id(self) -> int: ...
    @property
    def to_account_id(self) -> int: ...
    @property
    def amount_cents(self) -> int: ...


class TransferCompleted(Payload):
    transfer_id: int
    from_account_id: int
    to_account_id: int
    amount_cents: int

    @classmethod
    def of(cls, record: TransferRecord) -> Self:
        return cls(
            transfer_id=record.id,
            from_account_id=record.from_account_id,
            to_account_id=record.to_account_id,
            amount_cents=record.amount_cents,
        )

    @property
    def subject(self) -> str:
        return str(self.transfer_id)


async def notify_transfer_completed(run: "Run[TransferCompleted]") -> None:
    transfer = run.payload
    body = {"event": run.kind, **transfer.model_dump(mode="json")}
    await deliver(run, run.settings.transfer_webhook_url, body, amount_cents=transfer.amount_cents)
