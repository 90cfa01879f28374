"""Asset types, assets, their hierarchy, linked devices and meter readings as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from service_core.api.fields import present

Level = Literal["site", "asset", "component"]
Ownership = Literal["customer", "leased"]
Criticality = Literal["low", "medium", "high", "critical"]
AssetStatus = Literal["active", "inactive", "retired"]
MeterSource = Literal["manual", "telemetry", "work_order"]
TypeCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
MeterName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,64}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Serial = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]
AssetRef = Annotated[int, Field(ge=1, le=2**63 - 1)]


class AssetTypeCreate(BaseModel):
    code: TypeCode = Field(description="also the device_type of its sensors")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class AssetTypePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str


class AssetCreate(BaseModel):
    account_id: RowId
    location_id: RowId | None = None
    parent_id: AssetRef | None = None
    level: Level = "asset"
    asset_type_id: RowId | None = None
    name: Name
    model: str = Field(default="", max_length=100)
    serial_number: Serial | None = None
    ownership: Ownership = Field(default="customer", description="leases set it while the asset is leased")
    install_date: date | None = None
    warranty_end: date | None = None
    criticality: Criticality = "medium"
    status: AssetStatus = "active"

    @model_validator(mode="after")
    def _warranty_after_install(self) -> AssetCreate:
        if self.install_date and self.warranty_end and self.warranty_end < self.install_date:
            raise ValueError("warranty_end is before install_date")
        return self


class AssetUpdate(BaseModel):
    """Only the fields sent change; the account and the ownership do not change here."""

    location_id: RowId | None = None
    parent_id: AssetRef | None = None
    level: Level | None = None
    asset_type_id: RowId | None = None
    name: Name | None = None
    model: str | None = Field(default=None, max_length=100)
    serial_number: Serial | None = None
    install_date: date | None = None
    warranty_end: date | None = None
    criticality: Criticality | None = None
    status: AssetStatus | None = None

    _not_null = field_validator("level", "name", "model", "criticality", "status", mode="before")(present)


class AssetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int
    location_id: int | None
    parent_id: int | None
    level: Level
    asset_type_id: int | None
    name: str
    model: str
    serial_number: str | None
    ownership: Ownership
    install_date: date | None
    warranty_end: date | None
    criticality: Criticality
    status: AssetStatus
    run_hours: Decimal
    created_at: datetime
    updated_at: datetime


class AssetNode(BaseModel):
    asset: AssetPublic
    children: list[AssetNode] = []


class LinkedDevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant: str
    device_key: str
    device_type: str
    status: str
    last_seen_at: datetime | None


class MeterReadingCreate(BaseModel):
    meter: MeterName = "run_hours"
    value: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    read_at: AwareDatetime
    source: MeterSource = "manual"


class MeterReadingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    asset_id: int
    meter: str
    value: Decimal
    read_at: datetime
    source: MeterSource
    created_at: datetime
