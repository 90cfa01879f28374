"""Territories, skills and resources (with skills, working hours and time off) as the API takes and gives them."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from service_core.api.fields import present
from service_core.resources.domain import timezone_name

ResourceKind = Literal["technician", "crew", "equipment"]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
SkillCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(timezone_name)]
Rate = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class TerritoryCreate(BaseModel):
    name: ShortName


class TerritoryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime


class SkillCreate(BaseModel):
    code: SkillCode
    name: ShortName


class SkillPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str


class ResourceCreate(BaseModel):
    name: Name
    kind: ResourceKind = "technician"
    user_id: RowId | None = Field(default=None, description="the login of a technician")
    territory_id: RowId | None = None
    home_latitude: Latitude
    home_longitude: Longitude
    timezone: Timezone = "UTC"
    hourly_cost: Rate = Decimal("0")
    hourly_bill_rate: Rate = Decimal("0")


class ResourceUpdate(BaseModel):
    name: Name | None = None
    kind: ResourceKind | None = None
    user_id: RowId | None = None
    territory_id: RowId | None = None
    home_latitude: Latitude | None = None
    home_longitude: Longitude | None = None
    timezone: Timezone | None = None
    hourly_cost: Rate | None = None
    hourly_bill_rate: Rate | None = None
    is_active: bool | None = None

    _not_null = field_validator(
        "name",
        "kind",
        "home_latitude",
        "home_longitude",
        "timezone",
        "hourly_cost",
        "hourly_bill_rate",
        "is_active",
        mode="before",
    )(present)


class ResourceSkillIn(BaseModel):
    skill_id: RowId
    proficiency: int = Field(default=3, ge=1, le=5, description="1 slow … 3 standard … 5 expert")


class ResourceSkillPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    skill_id: int
    code: str
    name: str
    proficiency: int


class ResourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: ResourceKind
    user_id: int | None
    territory_id: int | None
    home_latitude: float
    home_longitude: float
    timezone: str
    hourly_cost: Decimal
    hourly_bill_rate: Decimal
    is_active: bool
    created_at: datetime
    skills: list[ResourceSkillPublic] = []


class ShiftIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="ISO weekday from 0 = Monday")
    start_time: time
    end_time: time
    break_minutes: int = Field(default=0, ge=0, le=240)

    @model_validator(mode="after")
    def _ends_after_start(self) -> ShiftIn:
        if self.start_time.tzinfo is not None or self.end_time.tzinfo is not None:
            raise ValueError("working hours are local times of the resource's time zone, without an offset")
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time (a night shift is two rows)")
        length = (self.end_time.hour * 60 + self.end_time.minute) - (self.start_time.hour * 60 + self.start_time.minute)
        if self.break_minutes >= length:
            raise ValueError("break_minutes must be shorter than the shift")
        return self


class ShiftPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    weekday: int
    start_time: time
    end_time: time
    break_minutes: int


class TimeOffCreate(BaseModel):
    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ends_after_start(self) -> TimeOffCreate:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class TimeOffPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    start_at: datetime
    end_at: datetime
    reason: str


class Interval(BaseModel):
    start: datetime
    end: datetime
