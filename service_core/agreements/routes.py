"""HTTP routes of the agreements domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/agreements", tags=["agreements"], responses=ERROR_RESPONSES)
