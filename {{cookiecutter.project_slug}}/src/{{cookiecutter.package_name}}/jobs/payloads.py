"""What each kind of job carries: validated when enqueued and again when run."""

from typing import Protocol, Self

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """A job's payload; `subject` names what the job is about in its log lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def subject(self) -> str:
        raise NotImplementedError


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
