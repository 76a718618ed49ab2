"""Run in a sync-threadpool bake beside blocking_probe.py: psycopg waits in C, out of blockbuster's
own sight, and the driver's rules (tests/support/blocking.py) make its wait count as blocking."""

import psycopg
from PACKAGE.core.settings import Settings
from tests.support.live import AppFactory
from tests.test_blocking_probe import answer


async def test_a_route_that_queries_with_psycopg_on_the_loop(
    settings: Settings, app_factory: AppFactory, server_url: str
) -> None:
    async def query_on_the_loop() -> None:
        with psycopg.connect(server_url) as connection:
            connection.execute("SELECT 1")

    await answer(settings, app_factory, query_on_the_loop)
