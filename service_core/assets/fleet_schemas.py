"""The fleet-health read model: one row per asset with everything the fleet page shows, read in one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from service_core.assets.schemas import AssetStatus, Criticality, Ownership

DeviceStatus = Literal["online", "unknown", "offline"]
Severity = Literal["warning", "major", "critical"]
FLEET_MAX_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class FleetFilter:
    """What narrows the fleet; None: any.  `search` matches the asset's name, serial or model, its account or site."""

    account_id: int | None = None
    location_id: int | None = None
    asset_type_id: int | None = None
    criticality: Criticality | None = None
    ownership: Ownership | None = None
    status: AssetStatus | None = None
    search: str | None = None


class FleetAssetHealth(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    account_id: int
    account: str
    location_id: int | None
    site: str | None
    latitude: float | None
    longitude: float | None
    asset_type_id: int | None
    asset_type: str | None
    criticality: Criticality
    ownership: Ownership
    status: AssetStatus
    devices: int
    worst_device_status: DeviceStatus | None  # offline over unknown over online; None: no device
    last_seen_at: datetime | None
    latest_values: dict[str, float]  # metric -> newest value over the asset's devices
    open_work_orders: int
    open_conditions: int
    worst_severity: Severity | None  # of the open conditions
    health_score: int | None  # None: detection has not scored the asset yet
    rul_hours: float | None
    scored_at: datetime | None
    not_scored_reason: str | None = None  # set while the detector refuses to score the asset: its score is old


class FleetHealth(BaseModel):
    """The assets that match, by name; `total` counts every match, `items` holds at most `limit` of them."""

    items: list[FleetAssetHealth]
    total: int
    limit: int
