"""The application factory: routes, error handlers, observability, and a lifespan that owns the database."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from . import api, db
{%- if cookiecutter.auth == "jwt" %}
from .auth.setup import install_auth
{%- endif %}
from .core import errors, logs, metrics, tracing
from .core.driver import Driver
from .core.request_id import Observer, RequestIdMiddleware
from .core.settings import Settings, SettingsError, settings_or_exit
from .core.shutdown import ShutdownState, drain_on_sigterm

logger = logging.getLogger(__name__)

# The database layer, held to the contract every layer meets (mypy checks this line).
DRIVER: Driver[db.Database] = db


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing connects until the lifespan starts.

    Serve with `serve` (production) or `uvicorn <package>.main:create_app --factory`.
    """
    if settings is None:
        settings = settings_or_exit(url_required=True)
    logs.configure(settings)
    shutdown = ShutdownState()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with DRIVER.open_database(settings) as database:
            app.state.database = database
            async with tracing.exporting(tracer_provider, partial(DRIVER.trace_statements, database)):
                with drain_on_sigterm(shutdown, settings):
                    yield
            logger.info("shutting down: requests finished, closing the database pool")
        logger.info("database pool closed")

    app = FastAPI(
        title={{ cookiecutter.project_name | tojson }},
        lifespan=lifespan,
        generate_unique_id_function=api.operation_id,
        # The app's spans come from tracing.py, on a provider of its own. FastAPI's own telemetry would
        # look for process-wide providers on every request, and add a second span per request once
        # anything in the process set one.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.shutdown = shutdown
    errors.install(app, DRIVER.DRIVER_ERRORS, DRIVER.classify)
{%- if cookiecutter.auth == "jwt" %}
    install_auth(app, settings)
{%- endif %}
    for router in api.routers:
        app.include_router(router)
    if settings.cors_origins:  # closed unless origins are listed
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    observers: list[Observer] = []  # told of each answered request by the request middleware
    if settings.metrics_enabled:
        observers.append(metrics.install(app))
    try:
        tracer_provider = app.state.tracer_provider = tracing.instrument_app(app, settings)
    except SettingsError as error:
        raise SystemExit(f"error: {error}") from None
    # Added last, so outermost: the id and the observers cover everything inside.
    app.add_middleware(RequestIdMiddleware, observers=observers)
    return app
