"""Tracing: off by default; when on, a span per request and per statement in one trace, exported where
OTEL_TRACES_EXPORTER says (here the console), with the SQL's placeholders and never its values."""

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.settings import Settings
from {{ cookiecutter.package_name }}.main import create_app

from .support import probe
from .support.live import PathTo, StartApp
from .support.protocols import Sql

MARKER = "traced-value-never-exported"


def spans(output: str) -> list[dict[str, Any]]:
    """The console exporter prints each span as an indented JSON object, one after another."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (start := output.find("{", at)) != -1:
        span, at = decoder.raw_decode(output, start)
        found.append(span)
    return found


def statement(span: dict[str, Any]) -> str:
    attributes = span.get("attributes", {})
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


@pytest.fixture
async def tracing_imported(settings: Settings) -> None:
    """The app imports OpenTelemetry's instrumentation only when tracing is on, in create_app: on the
    test's running loop that import reads files, which the blocking-call guard rightly refuses.
    Creating a first app with tracing on, on a worker thread, imports it there."""
    traced = Settings(_env_file=None, **(settings.model_dump() | {"tracing_enabled": True}))
    await asyncio.to_thread(create_app, traced)


def test_tracing_is_off_by_default(app: FastAPI) -> None:
    assert app.state.tracer_provider is None


async def test_requests_and_statements_are_traced_without_values(
    tracing_imported: None,
    start_app: StartApp,
    live_sql: Sql,
    path_to: PathTo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = path_to("create_probe_row")  # also the route's template, which names its span
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    try:
        async with start_app(tracing_enabled=True) as client:
            response = await client.post(rows, json={"name": MARKER})
            assert response.status_code == 201
    finally:
        await live_sql(f"DELETE FROM {probe.TABLE} WHERE name = '{MARKER}'")

    output = capsys.readouterr().out  # the provider flushed its spans when the app stopped
    found = spans(output)
    [request] = [span for span in found if span["name"] == f"POST {rows}"]
    inserts = [span for span in found if statement(span).startswith(f"INSERT INTO {probe.TABLE} ")]
    assert inserts, [span["name"] for span in found]
    assert {span["context"]["trace_id"] for span in inserts} == {request["context"]["trace_id"]}
    assert MARKER not in output


def test_an_unknown_exporter_stops_the_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "carrier-pigeon")

    with pytest.raises(SystemExit, match=r"^error: invalid setting OTEL_TRACES_EXPORTER: 'carrier-pigeon'"):
        create_app(Settings(_env_file=None, **(settings.model_dump() | {"tracing_enabled": True})))
