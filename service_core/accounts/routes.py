"""HTTP routes of the accounts domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/accounts", tags=["accounts"], responses=ERROR_RESPONSES)
