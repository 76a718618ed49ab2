"""The driver's part of the blocking-call guard (guards.py): what asyncpg may block on."""

from collections.abc import Sequence

from blockbuster import BlockBuster


def driver_rules(buster: BlockBuster, scanned: Sequence[str]) -> None:
    """asyncpg reads ~/.pgpass and the service file as each new connection starts: small local
    files, once per connection, never per request."""
    for function in buster.functions.values():
        function.can_block_in("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
