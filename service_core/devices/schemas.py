"""Device registry schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Tenant = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DeviceKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]


class DeviceCreate(BaseModel):
    tenant: Tenant
    device_key: DeviceKey
    device_type: str = Field(min_length=1, max_length=64)
    asset_id: int | None = None
    password: str | None = Field(default=None, min_length=8, repr=False)
    metadata: dict[str, object] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _storable_as_json(cls, metadata: dict[str, object]) -> dict[str, object]:
        try:
            orjson.dumps(metadata)
        except orjson.JSONEncodeError as exc:  # e.g. an integer beyond 64 bits
            raise ValueError(f"metadata cannot be stored as JSON: {exc}") from exc
        return metadata


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: str
    device_key: str
    device_type: str
    asset_id: int | None
    status: str
    status_changed_at: datetime | None
    last_seen_at: datetime | None
    created_at: datetime
    credentials_rotated_at: datetime | None = None
    revoked_at: datetime | None = None


class DeviceCredentialsPublic(BaseModel):
    """A device's new MQTT credentials.  The password is shown this once: only hashes of it are stored."""

    device: DevicePublic
    username: str = Field(description="MQTT username: <tenant>/<device_key>, ':' written %3A")
    password: str = Field(repr=False)
