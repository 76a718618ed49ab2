"""The statements data access runs on every request, built once at import, their values bound at
each call: SQLAlchemy finds a statement it already has in its compiled cache without building it
again and computing its cache key, a large share of a call's CPU. A statement that runs rarely
reads better where it is used."""

from sqlalchemy import BindParameter, bindparam, or_, select, text
from sqlalchemy.orm import joinedload

from .models import Account, Item, Transfer

ITEM = select(Item).where(Item.id == bindparam("item_id"))
ITEM_TO_CHANGE = ITEM.with_for_update()
ITEMS_PAGE = select(Item).order_by(Item.id).limit(bindparam("limit")).offset(bindparam("offset"))

ACCOUNT = select(Account).where(Account.id == bindparam("account_id"))
# Both accounts of a transfer, locked in id order: two opposite transfers queue, never deadlock.
ACCOUNTS_TO_LOCK = (
    select(Account)
    .where(Account.id.in_(bindparam("ids", expanding=True)))
    .order_by(Account.id)
    .with_for_update()
)
# Newest first, with both accounts in the same query: one query for any page size.
_ACCOUNT_ID: BindParameter[int] = bindparam("account_id")
TRANSFERS_PAGE = (
    select(Transfer)
    .where(or_(Transfer.from_account_id == _ACCOUNT_ID, Transfer.to_account_id == _ACCOUNT_ID))
    .options(joinedload(Transfer.from_account), joinedload(Transfer.to_account))
    .order_by(Transfer.id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)

# An Idempotency-Key (api/idempotency.py). The claim inserts the key, or takes over one that expired;
# a row another transaction holds makes it wait for that one to end. The lock then reads the row as
# committed, or as this transaction just wrote it.
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
