"""The field-service day as plain, frozen data: technicians, work orders, locked and in-progress bookings.

Durations depend on who does the work: `WorkOrder.standard_minutes` is the time at the standard proficiency 3,
scaled by the technician's *weakest* proficiency among the order's required skills (5 -> 0.8x, 4 -> 0.9x,
3 -> 1x, 2 -> 1.15x, 1 -> 1.3x).  All datetimes are timezone-aware (UTC).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from service_core.exceptions import InvalidInput
from service_core.scheduling.routing.travel import GeoPoint

PROFICIENCY_FACTOR: Mapping[int, float] = {5: 0.8, 4: 0.9, 3: 1.0, 2: 1.15, 1: 1.3}
MIN_PROFICIENCY, MAX_PROFICIENCY = 1, 5


class FieldServiceInputError(InvalidInput):
    """A field-service day is inconsistent (unknown ids, naive datetimes, windows the wrong way round)."""


class Priority(enum.StrEnum):
    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


def _aware(value: dt.datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise FieldServiceInputError(f"{what} must be timezone-aware (UTC), got {value!r}")


@dataclass(frozen=True, slots=True)
class Interval:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        _aware(self.start, "interval start")
        _aware(self.end, "interval end")
        if self.end < self.start:
            raise FieldServiceInputError(f"interval ends ({self.end}) before it starts ({self.start})")

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return start < self.end and self.start < end


@dataclass(frozen=True, slots=True)
class BreakRule:
    """A break of `minutes`, taken in one piece between `earliest_start` and `latest_end`."""

    earliest_start: dt.datetime
    latest_end: dt.datetime
    minutes: float

    def __post_init__(self) -> None:
        _aware(self.earliest_start, "break earliest start")
        _aware(self.latest_end, "break latest end")
        if self.minutes <= 0 or self.earliest_start + dt.timedelta(minutes=self.minutes) > self.latest_end:
            raise FieldServiceInputError("a break must be positive and fit between its earliest start and latest end")


@dataclass(frozen=True, slots=True)
class Technician:
    id: str
    skills: Mapping[str, int]  # skill -> proficiency 1..5
    territory: str
    shift: Interval
    home_start: GeoPoint
    home_end: GeoPoint
    break_rule: BreakRule | None = None
    time_off: tuple[Interval, ...] = ()
    hourly_cost: float = 60.0

    def __post_init__(self) -> None:
        bad = {skill: level for skill, level in self.skills.items() if not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY}
        if bad:
            raise FieldServiceInputError(f"technician {self.id}: proficiencies must be 1..5, got {bad}")
        if self.hourly_cost < 0:
            raise FieldServiceInputError(f"technician {self.id}: the hourly cost must not be negative")


@dataclass(frozen=True, slots=True)
class WorkOrder:
    id: str
    location: GeoPoint
    territory: str
    required_skills: Mapping[str, int]  # skill -> minimum proficiency
    standard_minutes: float  # at proficiency 3
    window: Interval  # service must start within it
    sla_deadline: dt.datetime  # service must finish by it
    priority: Priority = Priority.NORMAL
    sla_critical: bool = False
    preferred: frozenset[str] = field(default_factory=frozenset)
    excluded: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _aware(self.sla_deadline, f"work order {self.id} SLA deadline")
        if self.standard_minutes <= 0:
            raise FieldServiceInputError(f"work order {self.id}: the duration must be positive")
        if self.preferred & self.excluded:
            raise FieldServiceInputError(f"work order {self.id}: a technician is both preferred and excluded")

    @property
    def must_schedule(self) -> bool:
        """SLA-critical, emergency and high-priority orders: the optimizer's first objective."""
        return self.sla_critical or self.priority in (Priority.EMERGENCY, Priority.HIGH)


@dataclass(frozen=True, slots=True)
class Booking:
    """A locked or in-progress booking: this technician does this order exactly from `start` to `end`."""

    technician_id: str
    work_order_id: str
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        _aware(self.start, "booking start")
        _aware(self.end, "booking end")
        if self.end <= self.start:
            raise FieldServiceInputError(f"booking of {self.work_order_id} must end after it starts")


LockedBooking = Booking
InProgressBooking = Booking


@dataclass(frozen=True, slots=True)
class FieldServiceDay:
    """Everything the optimizer needs; `work_orders` includes the orders of locked and in-progress bookings."""

    technicians: tuple[Technician, ...]
    work_orders: tuple[WorkOrder, ...]
    locked: tuple[Booking, ...] = ()
    in_progress: tuple[Booking, ...] = ()

    def __post_init__(self) -> None:
        technicians = {technician.id for technician in self.technicians}
        orders = {order.id for order in self.work_orders}
        if len(technicians) != len(self.technicians) or len(orders) != len(self.work_orders):
            raise FieldServiceInputError("technician and work-order ids must be unique")
        booked = [booking.work_order_id for booking in self.bookings]
        if len(set(booked)) != len(booked):
            raise FieldServiceInputError("a work order is booked more than once")
        for booking in self.bookings:
            if booking.technician_id not in technicians or booking.work_order_id not in orders:
                raise FieldServiceInputError(
                    f"booking {booking.work_order_id}/{booking.technician_id} names an unknown order or technician"
                )

    @property
    def bookings(self) -> tuple[Booking, ...]:
        return (*self.in_progress, *self.locked)

    def technician(self, technician_id: str) -> Technician:
        for technician in self.technicians:
            if technician.id == technician_id:
                return technician
        raise FieldServiceInputError(f"no technician {technician_id!r}")

    def order(self, work_order_id: str) -> WorkOrder:
        for order in self.work_orders:
            if order.id == work_order_id:
                return order
        raise FieldServiceInputError(f"no work order {work_order_id!r}")


def proficiency_for(technician: Technician, order: WorkOrder) -> int:
    """The technician's weakest proficiency among the order's required skills (3 when nothing is required)."""
    if not order.required_skills:
        return 3
    return min(technician.skills.get(skill, 0) for skill in order.required_skills)


def service_minutes(technician: Technician, order: WorkOrder) -> float:
    """How long this technician takes for this order (the standard duration scaled by proficiency)."""
    level = max(MIN_PROFICIENCY, min(MAX_PROFICIENCY, proficiency_for(technician, order)))
    return order.standard_minutes * PROFICIENCY_FACTOR[level]


def missing_skills(technician: Technician, order: WorkOrder) -> dict[str, tuple[int, int]]:
    """Required skills the technician lacks or holds below the minimum: skill -> (has, needs)."""
    return {
        skill: (technician.skills.get(skill, 0), minimum)
        for skill, minimum in order.required_skills.items()
        if technician.skills.get(skill, 0) < minimum
    }


def ineligibility(technician: Technician, order: WorkOrder) -> str | None:
    """Why the technician may not do the order at all (skills, exclusion, territory), or None when eligible."""
    lacking = missing_skills(technician, order)
    if lacking:
        return "not qualified: " + ", ".join(f"{s} {has} < {need}" for s, (has, need) in sorted(lacking.items()))
    if technician.id in order.excluded:
        return "excluded by the work order"
    if technician.territory != order.territory:
        return f"territory {technician.territory} != {order.territory}"
    return None
