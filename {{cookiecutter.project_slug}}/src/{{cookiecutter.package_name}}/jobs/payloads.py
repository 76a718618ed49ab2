"""What a job carries: validated when enqueued and again when run."""

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """A job's payload; `subject` names what the job is about in its log lines."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def subject(self) -> str:
        raise NotImplementedError
