"""The audit trail as the API shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ChangePublic(BaseModel):
    id: int
    at: datetime
    actor: str
    table_name: str
    record_id: str
    action: str
    changed: dict[str, Any]


SecurityEventName = Literal[
    "login.succeeded",
    "login.failed",
    "login.throttled",
    "api_key.created",
    "api_key.revoked",
    "user.created",
    "user.deactivated",
    "user.reactivated",
    "device.credentials_issued",
    "device.credentials_rotated",
    "device.credentials_revoked",
]


class SecurityEventPublic(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description="who did it: user:7, api_key:3, anonymous (a login), db:<role> (outside the API)")
    event: SecurityEventName
    subject: str = Field(description="what it was done to: user:7, api_key:3, device:12, or the email of a login")
    client_ip: str | None
    detail: dict[str, Any]
