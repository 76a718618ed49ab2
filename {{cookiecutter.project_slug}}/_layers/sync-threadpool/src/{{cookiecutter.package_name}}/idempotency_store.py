"""Idempotency-Key rows on SQLAlchemy's sync session, each call on one of the app's worker threads
(api/idempotency.py decides with them).

Unlike the repository's calls, a keyed request holds its connection from the claim to the commit,
across its calls: the key's row stays locked until the work's answer is kept with it. It takes a
turn to do so (`WorkerThreads.holding`), so such requests never hold every connection at once."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.orm import Session

from . import idempotency_queries
from .core.idempotency import Answer, Claim, Kept
from .db.sqlalchemy_engine import WritesInTransactions
from .db.threadpool import RUNNING, THREADS, WorkerThreads, in_threadpool


def _begin(session: Session) -> Session:
    """Begin the request session's transaction, and open the work's session on its connection."""
    session.begin()
    work = WritesInTransactions(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    work.info[THREADS] = session.info[THREADS]
    return work


def _claim(session: Session, claim: Claim) -> Kept | None:
    key = {"scope": claim.scope, "key": claim.key}
    values = {**key, "fingerprint": claim.fingerprint, "ttl": claim.ttl}
    session.execute(idempotency_queries.CLAIM_KEY, values)
    row = session.execute(idempotency_queries.LOCK_KEY, key).one()
    if row.status_code is None:
        return None
    return Kept(row.fingerprint, Answer(row.status_code, row.response_body))


def _keep_and_commit(session: Session, claim: Claim, answer: Answer) -> None:
    values = {"scope": claim.scope, "key": claim.key, "status_code": answer.status_code, "body": answer.body}
    session.execute(idempotency_queries.KEEP_ANSWER, values)
    session.commit()


class KeyedTransaction:
    """One transaction holding a key's row: the claim, the work and the answer commit together."""

    def __init__(self, keys: Session, work: Session) -> None:
        self._keys = keys
        self.session = work  # the work's own session: its transactions are SAVEPOINTs in this one
        self._answer: tuple[Claim, Answer] | None = None

    async def claim(self, claim: Claim) -> Kept | None:
        """The row an earlier request committed for this key, or None: the key is this request's."""
        return await in_threadpool(_claim)(self._keys, claim)

    async def keep(self, claim: Claim, answer: Answer) -> None:
        self._answer = (claim, answer)  # written with the commit: one call on a thread, not two

    async def commit(self) -> None:
        if self._answer is None:  # a kept answer sent again: nothing was written
            await in_threadpool(Session.commit)(self._keys)
        else:
            await in_threadpool(_keep_and_commit)(self._keys, *self._answer)


@asynccontextmanager
async def keyed_transaction(session: Session) -> AsyncIterator[KeyedTransaction]:
    """A transaction on the request's session, committed when the block ends; the work runs in a
    session on the same connection whose begin() and commit are SAVEPOINTs, so a refusal it raises
    undoes its own writes and leaves the key's row to keep the refusal. On a failure the request's
    session is closed as always (db.get_db), which rolls the transaction back."""
    threads: WorkerThreads = session.info[THREADS]
    async with threads.holding():
        work = await in_threadpool(_begin)(session)
        try:
            yield (transaction := KeyedTransaction(session, work))
        except BaseException:
            # A call of the work's still on a thread (the request was cancelled): the close waits
            # for it.
            running = work.info.get(RUNNING)
            if running is not None and not running.done():
                session.info[RUNNING] = running
            raise
        await transaction.commit()
