"""OpenTelemetry traces, off unless TRACING_ENABLED: a span per request and per database statement,
exported where the standard OTEL_* variables say (OTLP or console), and nowhere when they say nothing.

The packages are imported only when tracing is on, so a service that never traces pays no start-up
time for them.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

# Probes and scrapes every few seconds would drown the traces that matter.
EXCLUDED_URLS = "/health/live,/health/ready,/metrics"
EXPORTERS = ("otlp", "console", "none")


def chosen_exporter() -> str:
    """OTEL_TRACES_EXPORTER if set; else OTLP when an OTLP endpoint is named; else none."""
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not chosen:
        endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        chosen = "otlp" if any(os.environ.get(name) for name in endpoints) else "none"
    if chosen not in EXPORTERS:
        raise SettingsError(f"invalid setting OTEL_TRACES_EXPORTER: {chosen!r} is not one of {EXPORTERS}")
    return chosen


def make_exporter(chosen: str) -> "SpanExporter | None":
    if chosen == "otlp":
        # Reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT itself.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if chosen == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    return None


def instrument_app(app: FastAPI, settings: Settings) -> "TracerProvider | None":
    """Put the request spans in place (before the app starts); None when tracing is off."""
    if not settings.tracing_enabled:
        return None
    chosen_exporter()  # a wrong exporter name stops the start, like any bad setting
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    # Resource.create reads OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME, when set, names the service.
    name = os.environ.get("OTEL_SERVICE_NAME") or "{{ cookiecutter.project_slug }}"
    resource = Resource.create({"service.name": name})
    # The app's own provider, not the process-wide one: each app a test builds keeps its spans apart.
    provider = TracerProvider(resource=resource)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    return provider


@asynccontextmanager
async def exporting(
    provider: "TracerProvider | None", trace_statements: Callable[["TracerProvider"], Callable[[], None]]
) -> AsyncIterator[None]:
    """For the app's lifetime: export spans (if an exporter is chosen) and trace the database's
    statements (`trace_statements`, the driver's part, returns its undo); then flush what is left
    and stop."""
    if provider is None:
        yield
        return
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    exporter = make_exporter(chosen_exporter())
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    stop_database = trace_statements(provider)
    try:
        yield
    finally:
        stop_database()
        # The last flush waits for the exporter's thread (a collector, up to its timeout): off the loop.
        await asyncio.to_thread(provider.shutdown)
