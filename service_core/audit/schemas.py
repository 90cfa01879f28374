"""The audit trail as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class ChangePublic(BaseModel):
    id: int
    at: datetime
    actor: str
    table_name: str
    record_id: str
    action: str
    changed: dict[str, Any]
