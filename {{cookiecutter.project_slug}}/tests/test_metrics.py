"""Prometheus metrics: request latency histograms, and pool gauges read from the pool at each scrape."""

import asyncio
import re

from httpx import AsyncClient

from .support import probe
from .support.committed_rows import committed_probe_row, row_locked
from .support.live import PathTo, StartApp
from .support.polling import eventually
from .support.protocols import Sql
from .support.server_sessions import has_active_session

POOL_GAUGES = ("size", "checked_out", "overflow")


def gauge(text: str, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not exposed"
    return float(found.group(1))


def requests_counted(text: str, handler: str, method: str) -> float:
    """How many requests the latency histogram has counted for a route and method; 0 before any."""
    labels = (f'handler="{handler}"', f'method="{method}"')
    for line in text.splitlines():
        if line.startswith("http_request_duration_seconds_count{") and all(label in line for label in labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_request_latency_is_a_histogram_by_route(client: AsyncClient, path_to: PathTo) -> None:
    rows = path_to("list_probe_rows")  # also the route's template, the handler label: it has no parameters
    before = requests_counted((await client.get(path_to("metrics"))).text, rows, "GET")

    await client.get(rows, params={"limit": 3})

    text = (await client.get(path_to("metrics"))).text
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert requests_counted(text, rows, "GET") == before + 1  # the run's app: earlier tests counted too
    assert f'handler="{path_to("metrics")}"' not in text  # scrapes do not count themselves


def answered(text: str, handler: str, status: str) -> float:
    """How many GET requests to a route `http_requests_total` has counted with a status class."""
    series = "http_requests_total{" + f'handler="{handler}",method="GET",status="{status}"' + "}"
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_requests_are_counted_by_route_and_status_class(client: AsyncClient, path_to: PathTo) -> None:
    row_route = path_to("list_probe_rows") + "/{row_id}"  # the template, as the route declares it
    stray = "/no-such-page-4242"
    before = (await client.get(path_to("metrics"))).text

    assert (await client.get(path_to("get_probe_row", row_id=424242))).status_code == 404
    assert (await client.get(stray)).status_code == 404

    text = (await client.get(path_to("metrics"))).text
    assert answered(text, row_route, "4xx") == answered(before, row_route, "4xx") + 1
    # A path no route matched is one series, "none": any URL a client makes up is not a new one.
    assert answered(text, "none", "4xx") == answered(before, "none", "4xx") + 1
    assert stray not in text


async def test_pool_gauges_follow_the_pool(start_app: StartApp, live_sql: Sql, path_to: PathTo) -> None:
    async with committed_probe_row(live_sql) as row_id, start_app() as client:
        await client.get(path_to("list_probe_rows"))  # the pool has opened
        idle = (await client.get(path_to("metrics"))).text
        for name in POOL_GAUGES:
            gauge(idle, f"db_pool_{name}")
        assert gauge(idle, "db_pool_checked_out") == 0

        async with row_locked(live_sql, probe.TABLE, row_id):
            waiting = asyncio.create_task(
                client.patch(path_to("update_probe_row", row_id=row_id), json={"n": 2})
            )
            assert await eventually(lambda: has_active_session(live_sql))
            busy = (await client.get(path_to("metrics"))).text
        assert (await waiting).status_code == 200

    assert gauge(busy, "db_pool_checked_out") == 1


async def test_metrics_can_be_turned_off(start_app: StartApp, path_to: PathTo) -> None:
    async with start_app(metrics_enabled=False) as client:
        assert (await client.get(path_to("metrics"))).status_code == 404
