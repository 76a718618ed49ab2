"""The statements of an Idempotency-Key (api/idempotency.py), built once at import like queries.py's."""

from sqlalchemy import text

# The claim inserts the key, or takes over one that expired; a row another transaction holds makes it
# wait for that one to end. The lock then reads the row as committed, or as this transaction wrote it.
CLAIM_KEY = text(
    "INSERT INTO idempotency_keys (scope, key, fingerprint, expires_at)"
    " VALUES (:scope, :key, :fingerprint, now() + make_interval(secs => :ttl))"
    " ON CONFLICT (scope, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status_code = NULL,"
    " response_body = NULL, expires_at = EXCLUDED.expires_at WHERE idempotency_keys.expires_at <= now()"
)
LOCK_KEY = text(
    "SELECT fingerprint, status_code, response_body FROM idempotency_keys"
    " WHERE scope = :scope AND key = :key FOR UPDATE"
)
KEEP_ANSWER = text(
    "UPDATE idempotency_keys SET status_code = :status_code, response_body = :body"
    " WHERE scope = :scope AND key = :key"
)
