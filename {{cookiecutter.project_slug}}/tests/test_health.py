"""Liveness, readiness, and what the API answers while the database is unreachable."""

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.settings import Settings

from .clients import app_client


@pytest.fixture
async def unreachable_client() -> AsyncIterator[AsyncClient]:
    """An app whose database URL points at a closed port."""
    settings = Settings(
        _env_file=None,
        environment="test",
        database_url="postgresql://app:secret-password@127.0.0.1:9/app",
        db_connect_timeout=1,
        ready_timeout=1,
    )
    app = create_app(settings)
    async with LifespanManager(app), app_client(app) as http:
        yield http


async def test_live_is_200(client: AsyncClient) -> None:
    response = await client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_pool(client: AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["pool"]["size"] >= 0


async def test_unreachable_database_is_503_not_500(unreachable_client: AsyncClient) -> None:
    assert (await unreachable_client.get("/health/live")).status_code == 200

    ready = await unreachable_client.get("/health/ready")
    data = await unreachable_client.get("/items/1")

    assert ready.status_code == 503
    assert data.status_code == 503
    assert data.headers["retry-after"]
    assert data.json()["code"] == "database_unavailable"
    assert "secret-password" not in data.text
