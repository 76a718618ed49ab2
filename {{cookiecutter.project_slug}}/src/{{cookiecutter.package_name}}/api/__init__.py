"""The HTTP API, one module per resource."""

from fastapi import APIRouter

from . import accounts, health, items

router = APIRouter()
router.include_router(health.router)
router.include_router(items.router)
router.include_router(accounts.router)
