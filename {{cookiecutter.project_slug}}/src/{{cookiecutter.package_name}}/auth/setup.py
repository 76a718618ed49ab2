"""Wiring into the app: the refusals' handler, and the key store opened and closed with the app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from ..core.settings import Settings
from . import errors
from .keys import open_keys


def install_auth(app: FastAPI, settings: Settings) -> None:
    errors.install(app)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        # Around the app's own lifespan: the keys outlive every request the app serves.
        async with open_keys(settings) as keys:
            app.state.auth_keys = keys
            async with inner(app) as state:
                yield state

    app.router.lifespan_context = lifespan
