"""HTTP routes of the audit domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERROR_RESPONSES)
