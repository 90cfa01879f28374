"""Booking schemas."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field, model_validator

from service_core.api.pagination import MAX_LIMIT

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Field(ge=1, le=2**63 - 1)]
_MAX_LENGTH = timedelta(days=7)
BookingStatusIn = Literal["traveling", "in_progress", "completed", "canceled"]


class BookingSlot(BaseModel):
    resource_id: Id
    start_at: AwareDatetime
    end_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> BookingSlot:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        if self.end_at - self.start_at > _MAX_LENGTH:
            raise ValueError("a booking lasts at most 7 days")
        return self


class BookingCreate(BookingSlot):
    work_order_id: BigId


class AutoAssignRequest(BaseModel):
    """Options of automatic assignment."""

    allow_outside_territory: bool = Field(
        default=False,
        description="when no technician of the site's territory fits, book one of another territory (else 409)",
    )


class BookingStatusChange(BaseModel):
    status: BookingStatusIn


class BookingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    resource_id: int
    start_at: datetime
    end_at: datetime
    status: str
    locked: bool
    travel_minutes: int
    explanation: dict[str, Any] | None
    assigned_by: str
    status_changed_at: datetime
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warnings(self) -> list[str]:
        """What was odd when it was booked by hand (outside working hours, during time off)."""
        found = (self.explanation or {}).get("warnings", [])
        return [str(w) for w in found] if isinstance(found, list) else []


class BookingListQuery(BaseModel):
    """Filters of `GET /bookings` and the page wanted."""

    resource_id: Id | None = None
    work_order_id: BigId | None = None
    day: date | None = Field(
        default=None, ge=date(2000, 1, 1), le=date(2999, 12, 31), description="bookings that touch this UTC day"
    )
    status: Literal["scheduled", "traveling", "in_progress", "completed", "canceled"] | None = None
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0, le=10_000_000)
