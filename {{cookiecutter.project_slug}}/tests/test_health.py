"""Liveness, readiness, and what the API answers while the database is unreachable."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from .live import StartApp, unreachable_database_url

PASSWORD = "secret-password"  # noqa: S105 (a marker to look for in responses, not a credential)


@pytest.fixture
async def unreachable_client(start_app: StartApp) -> AsyncIterator[AsyncClient]:
    """A client of an app whose database refuses every connection."""
    url = unreachable_database_url(PASSWORD)
    async with start_app(database_url=url, db_connect_timeout=1, ready_timeout=1) as http:
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


async def test_ready_is_503_while_draining(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.shutdown, "draining", True)  # as after SIGTERM (test_shutdown.py)

    response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert response.json()["code"] == "draining"


async def test_unreachable_database_is_503_not_500(unreachable_client: AsyncClient) -> None:
    assert (await unreachable_client.get("/health/live")).status_code == 200

    ready = await unreachable_client.get("/health/ready")
    data = await unreachable_client.get("/items/1")

    for response in (ready, data):
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert response.json()["code"] == "database_unavailable"
    assert PASSWORD not in data.text
