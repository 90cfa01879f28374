"""HTTP routes of the work_orders domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/work-orders", tags=["work orders"], responses=ERROR_RESPONSES)
