"""HTTP routes of the receivables domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/receivables", tags=["receivables"], responses=ERROR_RESPONSES)
