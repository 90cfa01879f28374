"""Policies as the API takes and gives them: calendars, SLA targets, escalation rules, clock status."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from service_core.api.fields import present
from service_core.policies.calendar import MINUTES_PER_DAY, valid_timezone

Priority = Literal["emergency", "high", "normal", "low"]
RoleName = Literal["admin", "dispatcher", "technician", "finance", "viewer"]
TargetName = Literal["response", "resolution"]
EscalationAction = Literal["notify", "raise_priority", "reassign"]
ClockTime = Annotated[
    str,
    Field(
        pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", examples=["08:00", "24:00"], description="HH:MM; 24:00 ends a day"
    ),
]
Minutes = Annotated[int, Field(ge=1, le=525_600)]  # up to a year
Fraction = Annotated[Decimal, Field(gt=0, lt=1, max_digits=4, decimal_places=3)]


def _known_timezone(name: str) -> str:
    if not valid_timezone(name):
        raise ValueError(f"unknown time zone {name!r}")
    return name


TimezoneName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_timezone)]


def clock_minutes(value: str) -> int:
    """Minutes since midnight of an `HH:MM` clock time (24:00 is 1440)."""
    hour, minute = value.split(":")
    return int(hour) * 60 + int(minute)


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class HoursIn(BaseModel):
    weekday: int = Field(ge=0, le=6, description="ISO weekday, 0 = Monday")
    start_time: ClockTime
    end_time: ClockTime

    @model_validator(mode="after")
    def _ends_after_start(self) -> HoursIn:
        if clock_minutes(self.end_time) <= clock_minutes(self.start_time):
            raise ValueError("end_time must be after start_time (split an overnight shift at 24:00)")
        if clock_minutes(self.end_time) > MINUTES_PER_DAY:
            raise ValueError("end_time must not be after 24:00")
        return self


class HolidayIn(BaseModel):
    day: date
    name: str = Field(default="", max_length=100)


class CalendarCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    timezone: TimezoneName = "UTC"
    always_open: bool = False
    hours: list[HoursIn] = Field(default_factory=list, max_length=70)
    holidays: list[HolidayIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarCreate:
        _check_calendar(self.hours, self.holidays)
        return self


class CalendarUpdate(BaseModel):
    """Fields given replace the stored ones; `hours` and `holidays` replace the whole lists."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: TimezoneName | None = None
    always_open: bool | None = None
    hours: list[HoursIn] | None = Field(default=None, max_length=70)
    holidays: list[HolidayIn] | None = Field(default=None, max_length=1000)

    _not_null = field_validator("name", "timezone", "always_open", mode="before")(present)

    @model_validator(mode="after")
    def _consistent(self) -> CalendarUpdate:
        _check_calendar(self.hours or [], self.holidays or [])
        return self


def _check_calendar(hours: list[HoursIn], holidays: list[HolidayIn]) -> None:
    by_day: dict[int, list[tuple[int, int]]] = {}
    for h in hours:
        by_day.setdefault(h.weekday, []).append((clock_minutes(h.start_time), clock_minutes(h.end_time)))
    for weekday, intervals in by_day.items():
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            if start < end:
                raise ValueError(f"opening hours of weekday {weekday} overlap")
    days = [h.day for h in holidays]
    if len(days) != len(set(days)):
        raise ValueError("a holiday is listed twice")


class HoursPublic(BaseModel):
    weekday: int
    start_time: str
    end_time: str


class CalendarPublic(BaseModel):
    id: int
    name: str
    timezone: str
    always_open: bool
    hours: list[HoursPublic]
    holidays: list[HolidayIn]


class SlaTargetCreate(BaseModel):
    agreement_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="None: the default policy")
    priority: Priority
    calendar_id: int | None = Field(default=None, ge=1, le=2**31 - 1, description="None: 24x7")
    response_minutes: Minutes
    resolution_minutes: Minutes
    warning_fraction: Fraction = Decimal("0.75")

    @model_validator(mode="after")
    def _resolution_after_response(self) -> SlaTargetCreate:
        if self.resolution_minutes < self.response_minutes:
            raise ValueError("resolution_minutes must not be less than response_minutes")
        return self


class SlaTargetUpdate(BaseModel):
    calendar_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    clear_calendar: bool = Field(default=False, description="count 24x7 from now on")
    response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warning_fraction: Fraction | None = None

    _not_null = field_validator("response_minutes", "resolution_minutes", "warning_fraction", mode="before")(present)


class SlaTargetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agreement_id: int | None
    priority: str
    calendar_id: int | None
    response_minutes: int
    resolution_minutes: int
    warning_fraction: Decimal


class EscalationRuleCreate(BaseModel):
    priority: Priority | None = Field(default=None, description="None: every priority")
    target: TargetName
    at_fraction: Annotated[Decimal, Field(gt=0, le=2, max_digits=4, decimal_places=3)]
    action: EscalationAction
    notify_role: RoleName | None = None

    @model_validator(mode="after")
    def _notify_has_role(self) -> EscalationRuleCreate:
        if self.action == "notify" and self.notify_role is None:
            raise ValueError("a notify rule needs notify_role")
        return self


class EscalationRulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    priority: str | None
    target: str
    at_fraction: Decimal
    action: str
    notify_role: str | None


class EscalationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    work_order_id: int
    rule_id: int | None
    target: str
    fired_at: datetime
    action: str
    notify_role: str | None


class ClockPause(BaseModel):
    reason: Literal["waiting_on_customer", "waiting_on_parts", "other"]
