"""The suite's identity provider, up for the whole run. The app finds it as a deployed one finds
its provider: AUTH_ISSUER and AUTH_AUDIENCE in the environment (which `serve` children inherit);
a process that must not find it is started without them."""

import os
from collections.abc import Iterator

import pytest

from .auth_provider import AUDIENCE, SUITE, Provider


@pytest.fixture(scope="session", autouse=True)
def identity_provider() -> Iterator[Provider]:
    SUITE.start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUTH_ISSUER", SUITE.issuer)
        patch.setenv("AUTH_AUDIENCE", AUDIENCE)
        yield SUITE
    SUITE.stop()


def without_auth_environment() -> dict[str, str]:
    """This process's environment but the AUTH_* variables, the suite's provider among them: for a
    process that must find no provider, or be told of another."""
    return {name: value for name, value in os.environ.items() if not name.startswith("AUTH_")}
