"""Fixtures of the auth tests: a provider of their own, which they may rotate or take down."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from .provider import Provider, SigningKey


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    fresh = Provider(SigningKey("key-1"))
    await asyncio.to_thread(fresh.start)  # binding and stopping a server block: off the loop
    yield fresh
    await asyncio.to_thread(fresh.stop)
