"""Every domain's routes, mounted on one router."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.auth.routes import router as auth_router
from service_core.devices.routes import router as devices_router
from service_core.telemetry.routes import router as telemetry_router

api_router = APIRouter()
api_router.include_router(auth_router)
api_router.include_router(devices_router)
api_router.include_router(telemetry_router)
