"""HTTP routes of the policies domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/policies", tags=["policies"], responses=ERROR_RESPONSES)
