"""Settings that cannot work stop the start with one line: a pool larger than the connection budget."""

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import Settings, one_line


def test_pools_that_cannot_fit_the_budget_are_refused_in_one_line() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,
            replicas=4,
            web_concurrency=2,
            db_pool_size=10,
            db_max_overflow=5,
            db_connection_budget=100,
        )

    assert one_line(error.value) == (
        "REPLICAS 4 x WEB_CONCURRENCY 2 x (DB_POOL_SIZE 10 + DB_MAX_OVERFLOW 5) = 120 connections,"
        " over DB_CONNECTION_BUDGET 100"
    )


def test_pools_that_fill_the_budget_exactly_are_accepted() -> None:
    # No ValidationError: 4 x 2 x (10 + 5) is 120, which the budget allows, to the last connection.
    settings = Settings(
        _env_file=None,
        replicas=4,
        web_concurrency=2,
        db_pool_size=10,
        db_max_overflow=5,
        db_connection_budget=120,
    )

    assert settings.pool_capacity == 15  # each process's pool: what the budget was checked against


def test_the_defaults_fit_postgresql_defaults() -> None:
    settings = Settings(_env_file=None)

    assert settings.pool_capacity <= settings.db_connection_budget <= 100 - 3  # superuser_reserved
