"""HTTP routes of the assets domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/assets", tags=["assets"], responses=ERROR_RESPONSES)
