"""Logs: every response and every line written for a request carry its id; JSON in production;
a database failure is one line with its sqlstate, never a parameter or a password."""

import json
import logging
import re
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.core.errors import Failure
from {{ cookiecutter.package_name }}.core.logs import APP_LOGGER, ConsoleFormatter, JsonFormatter
from {{ cookiecutter.package_name }}.core.request_id import HEADER
from {{ cookiecutter.package_name }}.core.settings import Settings

from .support import probe
from .support.committed_rows import committed_probe_row, row_locked
from .support.live import FAULT_TIMEOUT, PathTo, StartApp, unreachable_database_url
from .support.protocols import Sql

PASSWORD = "hunter2-never-logged"  # noqa: S105 (a marker to search logs for, not a credential)
UNLOGGED_VALUE = "value-never-logged"
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "database_url": "postgresql://db/app",
}
FORMATTERS = (JsonFormatter(), ConsoleFormatter())
UNSAFE_IDS = {
    "empty": "",
    "space": "two words",
    "quote": 'say "hi"',
    "semicolon": "a;b",
    "too-long": "x" * 129,
    "non-ascii": "caf\u00e9",
}


async def test_a_request_gets_an_id_when_it_brings_none(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.get(path_to("live"))

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers[HEADER])


async def test_a_safe_request_id_is_kept(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.get(path_to("live"), headers={HEADER: "edge-7f3a.1:9_Z"})

    assert response.headers[HEADER] == "edge-7f3a.1:9_Z"


@pytest.mark.parametrize("offered", UNSAFE_IDS.values(), ids=UNSAFE_IDS.keys())
async def test_an_unsafe_request_id_is_replaced(client: AsyncClient, path_to: PathTo, offered: str) -> None:
    response = await client.get(path_to("live"), headers=[(HEADER.encode(), offered.encode())])

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers[HEADER])


async def test_each_request_gets_its_own_id(client: AsyncClient, path_to: PathTo) -> None:
    first, second = await client.get(path_to("live")), await client.get(path_to("live"))

    assert first.headers[HEADER] != second.headers[HEADER]


async def test_every_line_of_a_failing_request_carries_its_id_and_its_sqlstate(
    start_app: StartApp, live_sql: Sql, path_to: PathTo, caplog: pytest.LogCaptureFixture
) -> None:
    # The app's loggers, as in production: the root logger stays at WARNING.
    with caplog.at_level(logging.INFO, logger=APP_LOGGER):
        async with (
            committed_probe_row(live_sql) as row_id,
            start_app(db_statement_timeout=FAULT_TIMEOUT, log_level="INFO") as client,
            row_locked(live_sql, probe.TABLE, row_id),
        ):
            response = await client.patch(
                path_to("update_probe_row", row_id=row_id),
                json={"name": UNLOGGED_VALUE},
                headers={HEADER: "req-timeout-1"},
            )

    assert response.status_code == 504
    mine = [record for record in caplog.records if getattr(record, "request_id", None) == "req-timeout-1"]
    assert [record.getMessage() for record in mine] == ["database failure", "request"]
    failure = json.loads(JsonFormatter().format(mine[0]))
    assert failure["request_id"] == "req-timeout-1"
    assert failure["sqlstate"] == "57014"
    assert failure["failure"] == Failure.TIMEOUT.code
    access = json.loads(JsonFormatter().format(mine[1]))
    path = path_to("update_probe_row", row_id=row_id)
    assert (access["method"], access["path"], access["status"]) == ("PATCH", path, 504)
    assert UNLOGGED_VALUE not in caplog.text


async def test_lines_never_hold_the_database_password(
    start_app: StartApp, path_to: PathTo, caplog: pytest.LogCaptureFixture
) -> None:
    url = unreachable_database_url(PASSWORD)
    with caplog.at_level(logging.DEBUG, logger=APP_LOGGER):
        async with start_app(database_url=url, db_connect_timeout=1, log_level="DEBUG") as client:
            assert (await client.get(path_to("get_probe_row", row_id=1))).status_code == 503
            assert (await client.get(path_to("ready"))).status_code == 503

    formatted = [formatter.format(record) for record in caplog.records for formatter in FORMATTERS]
    assert formatted
    assert not [line for line in formatted if PASSWORD in line]


def test_tests_log_only_warnings_by_default() -> None:
    assert Settings(_env_file=None, environment="test").log_level == "WARNING"
    assert Settings(_env_file=None, environment="development").log_level == "INFO"


def test_json_in_production_readable_elsewhere() -> None:
    assert Settings(_env_file=None, **PRODUCTION).log_format == "json"
    assert Settings(_env_file=None, environment="development").log_format == "console"
    assert Settings(_env_file=None, **PRODUCTION, log_format="console").log_format == "console"


def test_a_json_line_is_one_object_with_the_fields_given() -> None:
    record = logging.makeLogRecord(
        {"name": "app", "levelname": "WARNING", "msg": "database failure", "sqlstate": "40001"}
    )

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "database failure"
    assert entry["level"] == "warning"
    assert entry["sqlstate"] == "40001"
    assert "time" in entry
