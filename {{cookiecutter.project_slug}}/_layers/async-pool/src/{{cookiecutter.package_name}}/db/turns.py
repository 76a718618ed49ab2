"""Turns at the connection pool, first come first served, within a time limit: what the layers whose
pool lives on the event loop share. A request takes a turn before it takes a connection."""

import asyncio


async def take_turn(turns: asyncio.Semaphore, deadline: float) -> None:
    """A turn from `turns`; TimeoutError if none came by `deadline` (the event loop's clock).

    With a turn free and nobody queued, it is taken at once and no timer is armed: that is most
    requests whenever the pool is not saturated, and a timer is a measurable share of a short
    request. A semaphore serves its waiters in arrival order."""
    if not turns.locked():
        await turns.acquire()  # returns without waiting: a turn is free and nobody is before us
        return
    async with asyncio.timeout_at(deadline):
        await turns.acquire()
