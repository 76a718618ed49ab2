"""An Idempotency-Key's row, whatever the driver: what a request claims, and the answer kept for it.
Each layer's `idempotency_store` reads and writes the rows; `api/idempotency.py` decides with them."""

from dataclasses import dataclass

# Sent with an answer that was kept, not computed again (the first request's status and body).
REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class Claim:
    """A request's hold on its key: whose key it is (the caller; "" without auth), the key, and the
    fingerprint of the request (method, path and body) that a repeat must match."""

    scope: str
    key: str
    fingerprint: str
    ttl: float  # seconds the key is kept from now


@dataclass(frozen=True)
class Answer:
    """The answer kept for a key: its status and JSON body, sent again as they were."""

    status_code: int
    body: str


@dataclass(frozen=True)
class Kept:
    """A key's row as an earlier request left it, committed."""

    fingerprint: str
    answer: Answer
