"""HTTP routes of the billing domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/invoices", tags=["billing"], responses=ERROR_RESPONSES)
