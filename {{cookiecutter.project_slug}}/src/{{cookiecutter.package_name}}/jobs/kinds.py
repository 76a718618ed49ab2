"""The kinds of job this service knows: a name, the payload model, and the handler the worker runs.

A job of a kind not listed here is refused when enqueued, inside the caller's transaction, so the
request fails instead of leaving a job no worker can run.
"""

import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..core.logs import REQUEST_ID
from .payloads import Payload
from .transfers import TransferCompleted, notify_transfer_completed

if TYPE_CHECKING:
    import httpx

    from ..core.settings import Settings
    from ..db import Database

P = TypeVar("P", bound=Payload)


class UnknownKind(LookupError):
    """Enqueued under a name no kind has, or with another kind's payload."""


@dataclass(frozen=True)
class Run(Generic[P]):
    """One run of a job, as its handler sees it. Delivery is at least once: a handler makes its
    effect idempotent with `id` (the same on every attempt), e.g. as the receiver's idempotency key."""

    id: int
    kind: str
    attempt: int  # 1 on the first run
    request_id: str | None  # of the request that enqueued it
    payload: P
    # A handler that needs the database opens its own session from this, one per run.
    database: "Database"
    # The worker's HTTP client (its timeout is WEBHOOK_TIMEOUT), shared by every run.
    http: "httpx.AsyncClient"
    settings: "Settings"


@dataclass(frozen=True)
class Kind(Generic[P]):
    name: str
    payload: type[P]
    handler: Callable[[Run[P]], Awaitable[None]]


@dataclass(frozen=True)
class Envelope:
    """A job as pgqueuer stores it: entrypoint, payload bytes and headers."""

    kind: str
    payload: bytes
    headers: dict[str, str]


class Kinds:
    def __init__(self, kinds: list[Kind[Any]]) -> None:
        self._kinds = {kind.name: kind for kind in kinds}

    def add(self, kind: Kind[Any]) -> None:
        self._kinds[kind.name] = kind

    def __iter__(self) -> Iterator[Kind[Any]]:
        return iter(list(self._kinds.values()))

    def envelope(self, name: str, payload: Payload) -> Envelope:
        kind = self._kinds.get(name)
        if kind is None:
            raise UnknownKind(f"no job kind {name!r}")
        if not isinstance(payload, kind.payload):
            wanted, given = kind.payload.__name__, type(payload).__name__
            raise UnknownKind(f"job kind {name!r} takes {wanted}, not {given}")
        request_id = REQUEST_ID.get()
        headers = {} if request_id is None else {"request_id": request_id}
        return Envelope(name, payload.model_dump_json().encode(), headers)

    def load(self, name: str, payload: bytes | None) -> Payload:
        model: type[Payload] = self._kinds[name].payload
        return model.model_validate(json.loads(payload or b"{}"))


# Each kind's payload and handler live in a module of their own, named for the kind.
KINDS = Kinds([Kind("transfer.completed", TransferCompleted, notify_transfer_completed)])
