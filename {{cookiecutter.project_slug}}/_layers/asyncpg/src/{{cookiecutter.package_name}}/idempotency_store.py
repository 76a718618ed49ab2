"""Idempotency-Key rows on SQLAlchemy's async session (api/idempotency.py decides with them)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from . import idempotency_queries
from .core.idempotency import Answer, Claim, Kept
from .db.sqlalchemy_engine import WritesInTransactions


class KeyedTransaction:
    """One transaction holding a key's row: the claim, the work and the answer commit together."""

    def __init__(self, keys: AsyncSession, work: AsyncSession) -> None:
        self._keys = keys
        self.session = work  # the work's own session: its transactions are SAVEPOINTs in this one

    async def claim(self, claim: Claim) -> Kept | None:
        """The row an earlier request committed for this key, or None: the key is this request's."""
        key = {"scope": claim.scope, "key": claim.key}
        await self._keys.execute(
            idempotency_queries.CLAIM_KEY, {**key, "fingerprint": claim.fingerprint, "ttl": claim.ttl}
        )
        row = (await self._keys.execute(idempotency_queries.LOCK_KEY, key)).one()
        if row.status_code is None:
            return None
        return Kept(row.fingerprint, Answer(row.status_code, row.response_body))

    async def keep(self, claim: Claim, answer: Answer) -> None:
        values = {
            "scope": claim.scope,
            "key": claim.key,
            "status_code": answer.status_code,
            "body": answer.body,
        }
        await self._keys.execute(idempotency_queries.KEEP_ANSWER, values)


@asynccontextmanager
async def keyed_transaction(session: AsyncSession) -> AsyncIterator[KeyedTransaction]:
    """A transaction on the request's session, committed when the block ends; the work runs in a
    session on the same connection whose begin() and commit are SAVEPOINTs, so a refusal it raises
    undoes its own writes and leaves the key's row to keep the refusal."""
    async with session.begin():
        connection = await session.connection()
        work = AsyncSession(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            sync_session_class=WritesInTransactions,
        )
        try:
            yield KeyedTransaction(session, work)
        finally:
            await work.close()
