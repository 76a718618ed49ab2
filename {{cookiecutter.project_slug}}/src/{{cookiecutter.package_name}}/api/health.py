"""Liveness (the process answers) and readiness (the database answers too)."""

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from .. import schemas
from ..core import errors
from .deps import DatabaseDep, SettingsDep, ShutdownStateDep
from .responses import Kind, responses

router = APIRouter(prefix="/health", tags=["health"])

DRAINING_DETAIL = "The service is shutting down; retry shortly."


@router.get("/live", responses=responses(Kind.NO_DATABASE))
async def live() -> schemas.Liveness:
    return schemas.Liveness(status="ok")


@router.get("/ready", response_model=schemas.Readiness, responses=responses(Kind.READINESS))
async def ready(
    database: DatabaseDep, settings: SettingsDep, shutdown: ShutdownStateDep
) -> dict[str, Any] | JSONResponse:
    if shutdown.draining:  # shutting down: send new requests elsewhere; those in flight still finish
        return errors.unavailable(errors.DRAINING, DRAINING_DETAIL)
    try:
        async with asyncio.timeout(settings.ready_timeout):
            await database.ping()
    except Exception:  # any failure to answer means "not ready"; the reason is for the logs, not the probe
        failure = errors.Failure.UNAVAILABLE
        return errors.unavailable(failure.code, failure.detail)
    return {"status": "ok", "pool": database.pool_status()}
