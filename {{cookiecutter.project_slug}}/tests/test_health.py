"""Liveness, readiness, and what the API answers while the database is unreachable."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import DRAINING, RETRY_AFTER_SECONDS, Failure

from .support.live import PathTo, StartApp, unreachable_database_url

PASSWORD = "secret-password"  # noqa: S105 (a marker to look for in responses, not a credential)
# The figures every driver reports (test_metrics.py exposes the same ones as gauges); some add more.
POOL_FIGURES = ("size", "checked_out", "overflow")


@pytest.fixture
async def unreachable_client(start_app: StartApp) -> AsyncIterator[AsyncClient]:
    """A client of an app whose database refuses every connection."""
    url = unreachable_database_url(PASSWORD)
    async with start_app(database_url=url, db_connect_timeout=1, ready_timeout=1) as http:
        yield http


async def test_live_is_200(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.get(path_to("live"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_pool_its_settings_make(start_app: StartApp, path_to: PathTo) -> None:
    # An app of its own: the run's app lends a connection to each test's transaction.
    async with start_app(db_pool_size=3, db_max_overflow=2) as client:
        response = await client.get(path_to("ready"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "pool"}
    assert body["status"] == "ok"
    # DB_POOL_SIZE connections, and the one readiness used handed back: none lent out, none beyond.
    pool = {figure: body["pool"][figure] for figure in POOL_FIGURES}
    assert pool == {"size": 3, "checked_out": 0, "overflow": 0}


async def test_ready_is_503_while_draining(
    app: FastAPI, client: AsyncClient, path_to: PathTo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.shutdown, "draining", True)  # as after SIGTERM (test_shutdown.py)

    response = await client.get(path_to("ready"))

    assert response.status_code == 503
    assert response.headers["retry-after"] == RETRY_AFTER_SECONDS
    assert response.json()["code"] == DRAINING


async def test_unreachable_database_is_503_not_500(unreachable_client: AsyncClient, path_to: PathTo) -> None:
    assert (await unreachable_client.get(path_to("live"))).status_code == 200

    ready = await unreachable_client.get(path_to("ready"))
    data = await unreachable_client.get(path_to("get_probe_row", row_id=1))

    for response in (ready, data):
        assert response.status_code == 503
        assert response.headers["retry-after"] == RETRY_AFTER_SECONDS
        assert response.json()["code"] == Failure.UNAVAILABLE.code
    assert PASSWORD not in data.text
