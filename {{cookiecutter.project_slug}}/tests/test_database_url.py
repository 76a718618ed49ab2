"""DATABASE_URL as teams write it: every PostgreSQL form is read the same way and each driver connects
with its own; anything else is refused in one line that names the accepted forms."""

from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.database_url import ACCEPTED, SCHEMES, normalise
from {{ cookiecutter.package_name }}.core.settings import Settings, one_line

from .support.live import PathTo, StartApp

WRITTEN = "app:p%40ss%2Fw@db.internal:6543/orders?sslmode=require"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_postgresql_form_reads_as_one_plain_url(scheme: str) -> None:
    assert normalise(f"{scheme}://{WRITTEN}") == f"postgresql://{WRITTEN}"


def test_percent_encoded_credentials_and_a_socket_directory_are_kept_as_written() -> None:
    url = urlsplit(normalise("postgresql+psycopg://app:p%40ss@/orders?host=/run/postgresql"))

    assert (url.password, url.hostname, url.query) == ("p%40ss", None, "host=/run/postgresql")


@pytest.mark.parametrize(
    "url",
    [
        "mysql://app:secret@db/orders",
        "sqlite:///orders.db",
        "postgresql+asyncmy://app@db/x",
        "not a url",
        "db:5432",
    ],
)
def test_anything_else_is_refused_naming_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, database_url=url)

    message = one_line(error.value)
    assert message == f"invalid setting DATABASE_URL: not a PostgreSQL URL; accepted forms: {ACCEPTED}"
    assert "secret" not in message


def test_a_port_that_is_not_a_number_is_refused_in_one_line() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, database_url="postgresql://app:secret@db:port/orders")

    assert one_line(error.value) == "invalid setting DATABASE_URL: the port is not a number from 0 to 65535"


def test_an_empty_value_means_unset() -> None:
    assert Settings(_env_file=None, database_url="").database_url is None


@pytest.mark.parametrize("scheme", SCHEMES)
async def test_the_app_connects_with_its_own_driver_whatever_the_suffix(
    start_app: StartApp, path_to: PathTo, database_url: str, scheme: str
) -> None:
    written = scheme + database_url.removeprefix("postgresql")

    async with start_app(database_url=written, db_pool_size=1, db_max_overflow=0) as client:
        ready = await client.get(path_to("ready"))

    assert ready.status_code == 200, ready.text
