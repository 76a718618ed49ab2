"""Idempotency-Key rows on Tortoise's connection (api/idempotency.py decides with them)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.backends.base.client import BaseDBAsyncClient

from .core.idempotency import Answer, Claim, Kept
from .db.tortoise_internals import transaction

# The claim inserts the key, or takes over one that expired; a row another transaction holds makes
# it wait for that one to end. The lock then reads the row as committed, or as this one just wrote it.
CLAIM_KEY = (
    "INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at)"
    " VALUES ($1, $2, $3, now() + make_interval(secs => $4))"
    " ON CONFLICT (scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status_code = NULL,"
    " response_body = NULL, expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now()"
)
LOCK_KEY = (
    "SELECT fingerprint, status_code, response_body FROM idempotency_keys"
    " WHERE scope = $1 AND key = $2 FOR UPDATE"
)
KEEP_ANSWER = "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE scope = $1 AND key = $2"


class KeyedTransaction:
    """One transaction holding a key's row: the claim, the work and the answer commit together."""

    def __init__(self, connection: BaseDBAsyncClient) -> None:
        # The work's too: its transaction() blocks are SAVEPOINTs in this one.
        self.session = connection

    async def claim(self, claim: Claim) -> Kept | None:
        """The row an earlier request committed for this key, or None: the key is this request's."""
        await self.session.execute_query(CLAIM_KEY, [claim.scope, claim.key, claim.fingerprint, claim.ttl])
        _, rows = await self.session.execute_query(LOCK_KEY, [claim.scope, claim.key])
        row = rows[0]
        if row["status_code"] is None:
            return None
        return Kept(row["fingerprint"], Answer(row["status_code"], row["response_body"]))

    async def keep(self, claim: Claim, answer: Answer) -> None:
        values = [claim.scope, claim.key, answer.status_code, answer.body]
        await self.session.execute_query(KEEP_ANSWER, values)


@asynccontextmanager
async def keyed_transaction(session: BaseDBAsyncClient) -> AsyncIterator[KeyedTransaction]:
    """A transaction (a SAVEPOINT inside one already open), committed when the block ends, in which
    a refusal the work raises undoes the work's own writes and leaves the key's row to keep it."""
    async with transaction(session) as connection:
        yield KeyedTransaction(connection)
