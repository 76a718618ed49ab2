"""What the template's test machinery (tests/support/, its README) needs to know of this service.
Its fixtures reach every test through the plugins below; override one here to change it."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.main import create_app

pytest_plugins = ["tests.support"]


@pytest.fixture(scope="session")
def service_tables() -> tuple[str, ...]:
    """The service's tables: every test must leave no committed row in them, and the migration
    tests check they come and go."""
    return ("items", "accounts", "transfers", "audit_events", "idempotency_keys")


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    """How every test's app is built, from the suite's settings."""
    return create_app
