"""What each kind of job carries: validated when enqueued and again when run."""

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """A job's payload; `subject` names what the job is about in its log lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def subject(self) -> str:
        raise NotImplementedError


class TransferCompleted(Payload):
    transfer_id: int
    from_account_id: int
    to_account_id: int
    amount_cents: int

    @property
    def subject(self) -> str:
        return str(self.transfer_id)
