"""`forget-keys`: remove the Idempotency-Keys older than IDEMPOTENCY_KEY_TTL (api/idempotency.py),
with their kept answers. Run it from a scheduler (a cron job, a Kubernetes CronJob), daily say: a
key past its time is already treated as new, so this only keeps the table small."""

import argparse

from ..core.settings import Settings, settings_or_exit
from .database_check import Unusable, query, usable_or_exit
from .refused import StatementFailed

FORGET = (
    "WITH forgotten AS (DELETE FROM idempotency_keys WHERE expires_at <= now() RETURNING 1)"
    " SELECT count(*) FROM forgotten"
)


def parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="forget-keys",
        description="Remove the expired Idempotency-Keys (older than IDEMPOTENCY_KEY_TTL) from the"
        " database in DATABASE_URL, and print how many.",
    )


def forget_expired(settings: Settings) -> int:
    """How many expired keys were removed; one statement, committed."""
    [(count,)] = query(settings.postgres_url(), "DATABASE_URL", settings.db_connect_timeout, FORGET)
    return int(count)


def main() -> None:
    parser().parse_args()
    settings = settings_or_exit(url_required=True)
    usable_or_exit(settings)
    try:
        forgotten = forget_expired(settings)
    except Unusable as error:
        raise SystemExit(f"error: {error}") from None
    except StatementFailed as error:  # the table is missing, say: the database is not migrated
        raise SystemExit(f"error: the expired keys cannot be removed: {error}") from None
    print(f"forget-keys: removed {forgotten} expired idempotency keys")


if __name__ == "__main__":
    main()
