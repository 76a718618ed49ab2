"""The driver's part of the blocking-call guard (guards.py): psycopg's waits count as blocking."""

from collections.abc import Sequence

from blockbuster import BlockBuster, BlockBusterFunction
from psycopg import waiting


def driver_rules(buster: BlockBuster, scanned: Sequence[str]) -> None:
    """psycopg waits for the server in C, where blockbuster cannot see a socket; its wait functions
    are named here, so a psycopg call made on the event loop fails its test as time.sleep does."""
    for name in ("wait", "wait_conn"):
        buster.functions[f"psycopg.waiting.{name}"] = BlockBusterFunction(
            waiting, name, scanned_modules=list(scanned)
        )
