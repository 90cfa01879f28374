"""HTTP routes of the catalog domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/catalog", tags=["catalog"], responses=ERROR_RESPONSES)
