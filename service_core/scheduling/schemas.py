"""Schedule schemas: what a dispatcher asks of the optimizer and the plan it answers with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
BigId = Annotated[int, Field(ge=1, le=2**63 - 1)]
Mode = Literal["preview", "apply"]
TerritoryRef = Annotated[int, Field(ge=1, le=2**31 - 1)] | Annotated[str, Field(min_length=1, max_length=100)]
MAX_TIME_LIMIT_SECONDS = 60.0
# Bounded so day and clock arithmetic (a day's neighbours, time zones) cannot leave Python's date range.
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2999, 12, 31))]
Moment = Annotated[AwareDatetime, Field(ge=datetime(2000, 1, 1, tzinfo=UTC), le=datetime(2999, 12, 31, tzinfo=UTC))]


class OptimizeRequest(BaseModel):
    day: Day
    territory: TerritoryRef | None = Field(default=None, description="A territory id or name; default: all")
    mode: Mode = "preview"
    time_limit_seconds: float = Field(default=10.0, ge=0.5, le=MAX_TIME_LIMIT_SECONDS)


class EmergencyRequest(BaseModel):
    work_order_id: BigId
    now: Moment | None = Field(default=None, description="When the emergency is inserted; default: now")
    mode: Mode = "preview"


class SickRequest(BaseModel):
    resource_id: Id
    day: Day
    now: Moment | None = Field(default=None, description="When the technician called in; default: now")
    mode: Mode = "preview"


class AlternativePublic(BaseModel):
    resource_id: int
    name: str
    added_km: float | None
    reason: str


class ExplanationPublic(BaseModel):
    """Why this technician: skills and proficiency, territory, preference, travel, window and SLA margin."""

    skills: str
    proficiency: int
    duration_factor: float
    territory: str
    preferred: bool | None
    travel_minutes_in: float
    travel_km_in: float
    travel_cost_in: Decimal
    added_km: float
    arrival: datetime
    window_start: datetime
    window_end: datetime
    wait_minutes: float
    sla_margin_minutes: float
    alternatives: list[AlternativePublic]


class StopPublic(BaseModel):
    kind: str  # work, locked, in_progress, break, time_off
    work_order_id: int | None
    work_order_number: str | None
    start_at: datetime
    end_at: datetime
    travel_minutes: float
    travel_km: float
    explanation: ExplanationPublic | None = None


class RoutePublic(BaseModel):
    resource_id: int
    name: str
    territory: str
    shift_start: datetime
    shift_end: datetime
    depart_at: datetime | None
    return_at: datetime | None
    travel_km: float
    travel_minutes: float
    work_minutes: float
    stops: list[StopPublic]


class UnscheduledPublic(BaseModel):
    work_order_id: int
    work_order_number: str
    reason: str
    detail: str


class PlanTotals(BaseModel):
    travel_km: float
    scheduled: int
    unscheduled: int
    sla_critical_scheduled: int
    sla_critical_total: int


class ViolationPublic(BaseModel):
    kind: str
    detail: str
    resource_id: int | None
    work_order_id: int | None


class CheckPublic(BaseModel):
    ok: bool
    violations: list[ViolationPublic]
    travel_km: float


class MovePublic(BaseModel):
    work_order_id: int
    from_resource_id: int
    to_resource_id: int


class ShiftedPublic(BaseModel):
    work_order_id: int
    minutes: float


class DisruptionPublic(BaseModel):
    moved: list[MovePublic]
    shifted: list[ShiftedPublic]
    dropped: list[int]
    added: list[int]
    max_shift_minutes: float


class AppliedPublic(BaseModel):
    """What apply wrote: bookings created, bookings canceled (moved or dropped), bookings left as they were."""

    created_booking_ids: list[int]
    canceled_booking_ids: list[int]
    unchanged_booking_ids: list[int]


class SchedulePlanPublic(BaseModel):
    mode: Mode
    day: date
    method: str
    seconds: float
    routes: list[RoutePublic]
    unscheduled: list[UnscheduledPublic]
    totals: PlanTotals
    check: CheckPublic
    disruption: DisruptionPublic | None = None
    applied: AppliedPublic | None = None
    notes: list[str] = Field(default_factory=list)
