"""Request dependencies the routes share: the app's settings, its shutdown state and its database
(the request's session is the driver's own: `SessionDep` from db)."""

from typing import Annotated

from fastapi import Depends, Request

from ..core.settings import Settings
from ..core.shutdown import ShutdownState
from ..db import Database


async def get_app_settings(request: Request) -> Settings:  # async: a sync def costs a thread hop
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_shutdown_state(request: Request) -> ShutdownState:
    shutdown: ShutdownState = request.app.state.shutdown
    return shutdown


ShutdownStateDep = Annotated[ShutdownState, Depends(get_shutdown_state)]


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


DatabaseDep = Annotated[Database, Depends(get_database)]
