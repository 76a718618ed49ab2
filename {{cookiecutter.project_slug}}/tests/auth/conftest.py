"""Fixtures of the auth tests: a provider of their own, which they may rotate or take down."""

from collections.abc import Iterator

import pytest

from ..support.auth_provider import Provider, SigningKey


@pytest.fixture
def provider() -> Iterator[Provider]:
    # Not async: making a key and binding a server block, and a sync fixture runs off the event loop.
    fresh = Provider(SigningKey("key-1"))
    fresh.start()
    yield fresh
    fresh.stop()
