"""Liveness (the process answers) and readiness (the database answers too)."""

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..db import DatabaseDep
from .deps import LifecycleDep, SettingsDep

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=None)
async def ready(
    database: DatabaseDep, settings: SettingsDep, lifecycle: LifecycleDep
) -> dict[str, Any] | JSONResponse:
    if lifecycle.draining:  # shutting down: send new requests elsewhere; those in flight still finish
        return JSONResponse({"status": "draining"}, status_code=503)
    try:
        async with asyncio.timeout(settings.ready_timeout):
            await database.ping()
    except Exception:  # any failure to answer means "not ready"; the reason is for the logs, not the probe
        return JSONResponse({"status": "unavailable"}, status_code=503, headers={"Retry-After": "1"})
    return {"status": "ok", "pool": database.pool_status()}
