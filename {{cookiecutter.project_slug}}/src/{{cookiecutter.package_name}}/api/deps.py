"""Request dependencies that do not depend on the database driver."""

from typing import Annotated

from fastapi import Depends, Request

from ..lifecycle import Lifecycle
from ..settings import Settings


async def get_app_settings(request: Request) -> Settings:  # async: a sync def costs a thread hop
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def get_lifecycle(request: Request) -> Lifecycle:
    lifecycle: Lifecycle = request.app.state.lifecycle
    return lifecycle


LifecycleDep = Annotated[Lifecycle, Depends(get_lifecycle)]
