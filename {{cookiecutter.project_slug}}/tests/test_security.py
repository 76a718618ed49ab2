"""Secrets stay secret (reprs, errors, logs), CORS is closed unless opened, errors carry no internals."""

import logging

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import Settings, one_line

from .support.live import PathTo, StartApp, unreachable_database_url

PASSWORD = "hunter2-never-shown"  # noqa: S105 (a marker to search logs for, not a credential)


def test_settings_never_show_the_password() -> None:
    settings = Settings(_env_file=None, database_url=f"postgresql://app:{PASSWORD}@db/app")

    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)


def test_a_bad_url_is_reported_without_its_password() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, database_url=f"mysql://app:{PASSWORD}@db/app")

    message = one_line(error.value)
    assert message.startswith("invalid setting DATABASE_URL")
    assert PASSWORD not in message


async def test_cors_is_closed_by_default(client: AsyncClient, path_to: PathTo) -> None:
    preflight = await client.options(
        path_to("create_probe_row"),
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in preflight.headers


async def test_cors_opens_only_to_listed_origins(start_app: StartApp, path_to: PathTo) -> None:
    async with start_app(cors_origins=["https://app.example"]) as client:
        listed = await client.get(path_to("live"), headers={"Origin": "https://app.example"})
        other = await client.get(path_to("live"), headers={"Origin": "https://evil.example"})

    assert listed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers


async def test_database_failures_are_logged_once_without_secrets(
    start_app: StartApp, path_to: PathTo, caplog: pytest.LogCaptureFixture
) -> None:
    url = unreachable_database_url(PASSWORD)
    with caplog.at_level(logging.INFO):
        async with start_app(database_url=url, db_connect_timeout=1) as client:
            response = await client.get(path_to("get_probe_row", row_id=1))

    assert response.status_code == 503
    failures = [record for record in caplog.records if "database failure" in record.getMessage()]
    assert len(failures) == 1
    assert PASSWORD not in caplog.text
    assert PASSWORD not in response.text
