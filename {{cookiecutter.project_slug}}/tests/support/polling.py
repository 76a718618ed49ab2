"""Waiting for something another task or process is bringing about, without sleeping a fixed time."""

import asyncio
import time
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[object]], within: float = 5.0) -> bool:
    """Poll `check` until it returns something truthy; False if it never does within `within` s."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True
