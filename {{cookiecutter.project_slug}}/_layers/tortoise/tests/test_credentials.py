"""asyncpg's arguments from DATABASE_URL as teams write it: the same whatever the suffix,
percent-encoded credentials decoded once, a unix socket's directory as the host."""

import pytest

from {{ cookiecutter.package_name }}.core.database_url import SCHEMES
from {{ cookiecutter.package_name }}.db.tortoise_config import credentials

from .support import postgres

WRITTEN = "://app:p%40ss%2Fw@/orders?host=/run/postgresql"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_suffix_gives_the_same_arguments(scheme: str) -> None:
    plain = credentials(postgres.test_settings("postgresql" + WRITTEN))

    assert credentials(postgres.test_settings(scheme + WRITTEN)) == plain


def test_credentials_are_decoded_and_the_socket_directory_is_the_host() -> None:
    arguments = credentials(postgres.test_settings("postgresql+asyncpg" + WRITTEN))

    assert (arguments["user"], arguments["password"], arguments["database"]) == ("app", "p@ss/w", "orders")
    assert arguments["host"] == "/run/postgresql"
