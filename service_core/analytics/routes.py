"""HTTP routes of the analytics domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/analytics", tags=["analytics"], responses=ERROR_RESPONSES)
