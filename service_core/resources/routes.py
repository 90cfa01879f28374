"""HTTP routes of the resources domain."""

from __future__ import annotations

from fastapi import APIRouter

from service_core.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/resources", tags=["resources"], responses=ERROR_RESPONSES)
