"""Rows of the `auth` schema as stored, secrets' hashes included (never returned by the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    full_name: str
    password_hash: str
    role: str
    is_active: bool
    created_at: datetime
    account_id: int | None


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: int
    name: str
    prefix: str
    key_hash: str
    role: str
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
