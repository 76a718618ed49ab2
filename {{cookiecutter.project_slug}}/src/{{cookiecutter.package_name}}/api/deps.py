"""Request dependencies that do not depend on the database driver."""

from typing import Annotated

from fastapi import Depends, Request

from ..core.settings import Settings
from ..core.shutdown import ShutdownState


async def get_app_settings(request: Request) -> Settings:  # async: a sync def costs a thread hop
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_shutdown_state(request: Request) -> ShutdownState:
    shutdown: ShutdownState = request.app.state.shutdown
    return shutdown


ShutdownStateDep = Annotated[ShutdownState, Depends(get_shutdown_state)]
