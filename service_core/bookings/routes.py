"""HTTP routes of the bookings domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/bookings", tags=["bookings"], responses=ERROR_RESPONSES)
