"""The suite's identity provider, up for the whole run. The app finds it as a deployed one finds
its provider: AUTH_ISSUER and AUTH_AUDIENCE in the environment (which `serve` children inherit)."""

from collections.abc import Iterator

import pytest

from .provider import AUDIENCE, SUITE, Provider


@pytest.fixture(scope="session", autouse=True)
def identity_provider() -> Iterator[Provider]:
    SUITE.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTH_ISSUER", SUITE.issuer)
        patch.setenv("AUTH_AUDIENCE", AUDIENCE)
        yield SUITE
    SUITE.stop()
