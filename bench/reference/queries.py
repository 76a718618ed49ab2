"""The SQL the reference apps send: what each endpoint needs and nothing more."""

ONE_ITEM = "SELECT id, name, description, price_cents, created_at FROM items WHERE id = $1"
PAGE_OF_ITEMS = (
    "SELECT id, name, description, price_cents, created_at FROM items ORDER BY id LIMIT $1 OFFSET $2"
)
INSERT_ITEM = (
    "INSERT INTO items (name, description, price_cents) VALUES ($1, $2, $3)"
    " RETURNING id, name, description, price_cents, created_at"
)
LOCK_ACCOUNTS = "SELECT id, balance_cents FROM accounts WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE"
MOVE_MONEY = (
    "UPDATE accounts SET balance_cents = balance_cents"
    " + CASE WHEN id = $1 THEN -$3::bigint ELSE $3::bigint END WHERE id IN ($1, $2)"
)
INSERT_TRANSFER = (
    "INSERT INTO transfers (from_account_id, to_account_id, amount_cents) VALUES ($1, $2, $3)"
    " RETURNING id, from_account_id, to_account_id, amount_cents, created_at"
)
INSERT_AUDIT = "INSERT INTO audit_events (action, subject_id) VALUES ($1, $2)"
# The template's defaults: pool_size 10 plus max_overflow 5.
POOL_MIN, POOL_MAX = 10, 15


def as_psycopg(query: str) -> str:
    """The same statement with psycopg's placeholders: $1 becomes %(p1)s (a parameter may repeat)."""
    for number in range(9, 0, -1):
        query = query.replace(f"${number}", f"%(p{number})s")
    return query


def numbered(*values: object) -> dict[str, object]:
    """Parameters for `as_psycopg` statements, in $1, $2... order."""
    return {f"p{number}": value for number, value in enumerate(values, start=1)}


def row_json(row: dict[str, object]) -> dict[str, object]:
    created = row["created_at"]
    return {**row, "created_at": created.isoformat() if hasattr(created, "isoformat") else created}
