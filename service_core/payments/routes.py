"""HTTP routes of the payments domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/payments", tags=["payments"], responses=ERROR_RESPONSES)
