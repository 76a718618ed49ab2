"""Run in a bake by the template's suite (test_variants.py), which reads which of these the
blocking-call guard (tests/support/guards.py) fails: only the one whose route blocks the loop."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from asgi_lifespan import LifespanManager
from PACKAGE.core.settings import Settings
from tests.support.clients import app_client
from tests.support.live import AppFactory


async def answer(settings: Settings, app_factory: AppFactory, work: Callable[[], Awaitable[None]]) -> int:
    """The status of a request to a route that runs `work`, on an app built as the suite builds it."""
    app = app_factory(settings)

    async def probe() -> None:
        await work()

    app.add_api_route("/probe", probe)
    async with LifespanManager(app), app_client(app, raise_app_exceptions=False) as client:
        return (await client.get("/probe")).status_code


async def test_a_route_that_sleeps_on_the_loop(settings: Settings, app_factory: AppFactory) -> None:
    async def sleep_on_the_loop() -> None:
        time.sleep(0.001)

    await answer(settings, app_factory, sleep_on_the_loop)  # its 500 unread: the guard fails it anyway


async def test_a_route_that_sleeps_on_a_thread(settings: Settings, app_factory: AppFactory) -> None:
    async def sleep_on_a_thread() -> None:
        await asyncio.to_thread(time.sleep, 0.01)

    assert await answer(settings, app_factory, sleep_on_a_thread) == 200


async def test_a_route_that_is_busy(settings: Settings, app_factory: AppFactory) -> None:
    async def keep_the_cpu_busy() -> None:
        deadline = time.perf_counter() + 0.3
        while time.perf_counter() < deadline:
            pass

    assert await answer(settings, app_factory, keep_the_cpu_busy) == 200
