"""The engine's URL from DATABASE_URL as teams write it: this layer's own driver whatever the suffix,
percent-encoded credentials decoded once, a unix socket's directory kept."""

import pytest

from {{ cookiecutter.package_name }}.core.database_url import SCHEMES
from {{ cookiecutter.package_name }}.db import engine_url

from .support import postgres

WRITTEN = "://app:p%40ss%2Fw@/orders?host=/run/postgresql"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_suffix_gives_the_same_engine_url(scheme: str) -> None:
    plain = engine_url(postgres.test_settings("postgresql" + WRITTEN))

    assert engine_url(postgres.test_settings(scheme + WRITTEN)) == plain


def test_credentials_are_decoded_and_the_socket_directory_kept() -> None:
    url = engine_url(postgres.test_settings("postgresql+psycopg2" + WRITTEN))

    assert (url.username, url.password, url.database) == ("app", "p@ss/w", "orders")
    assert url.query["host"] == "/run/postgresql"
