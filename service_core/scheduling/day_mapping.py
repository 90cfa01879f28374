"""Pure mapping from service-core rows to the field-service model (no database): shifts and breaks, order windows,
SLA deadlines and criticality, what an existing booking is to the optimizer, and the plan the bookings make.

Rules (documented here, tested in tests/unit/test_schedule_loader.py):
- A technician's shift is the hull of the spans they work on the day (`resources.service.working_time`: breaks
  kept in); the gaps between spans (time off, split shifts) become time off.  The break (the day's `break_minutes`)
  is taken in one piece in the middle half of the shift, else anywhere in it; no break when it does not fit.
  (Availability, which auto-assignment uses, holds the break in the middle of each shift; the optimizer may move
  it within the middle half.)
- An order's day is the local day at its site.  Its window is the promised window, open ends filled by the day.
- The SLA deadline is `resolution_due_at`; an order without one, or already past it before its window opens, has
  no deadline the plan must meet (it is done as soon as it fits).
- SLA-critical: emergency or high priority with a resolution deadline before the end of the site's day (overdue
  included).
- An existing booking is fixed (locked or in progress) when locked, traveling or in progress, or when it cannot be
  re-booked (its account is on credit hold and it is no emergency, or its order is closed); else it is movable.
  A fixed booking is given, not chosen: its order is represented without skill or territory demands, so the
  checker judges only its time.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from service_core.scheduling.fieldservice import (
    Booking,
    BreakRule,
    FieldServiceDay,
    FieldServiceInputError,
    FieldServicePlan,
    Interval,
    PlannedStop,
    Priority,
    StopKind,
    Technician,
    TechnicianRoute,
    WorkOrder,
)
from service_core.scheduling.routing.travel import GeoPoint, GreatCircleTravel, TravelTimes

NO_TERRITORY = "(no territory)"
OPEN_DEADLINE = dt.timedelta(days=1)  # "no deadline": this long after the day ends
Span = tuple[dt.datetime, dt.datetime]
OPEN_ORDER = frozenset({"unscheduled", "scheduled", "in_progress"})  # may still be booked


class BookingRole(enum.StrEnum):
    MOVABLE = "movable"
    LOCKED = "locked"
    IN_PROGRESS = "in_progress"


def local_day(day: dt.date, timezone: str) -> Span:
    """The UTC start and end of local `day` in `timezone`."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def shift_of(spans: Sequence[Span]) -> tuple[Interval, tuple[Interval, ...]] | None:
    """The shift (hull of the worked spans) and the gaps inside it as time off; None when nobody works."""
    ordered = sorted(spans)
    if not ordered:
        return None
    gaps = tuple(Interval(end, start) for (_, end), (start, _) in itertools.pairwise(ordered))
    return Interval(ordered[0][0], max(end for _, end in ordered)), tuple(g for g in gaps if g.end > g.start)


def merged(intervals: Sequence[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping or touching intervals joined (time off and blocked bookings)."""
    joined: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: (i.start, i.end)):
        if joined and interval.start <= joined[-1].end:
            joined[-1] = Interval(joined[-1].start, max(joined[-1].end, interval.end))
        else:
            joined.append(interval)
    return tuple(joined)


def break_rule(shift: Interval, minutes: int) -> BreakRule | None:
    """A break of `minutes` in the middle half of the shift, else anywhere in it; None when none is due or fits."""
    if minutes <= 0:
        return None
    length = shift.end - shift.start
    needed = dt.timedelta(minutes=minutes)
    middle = (shift.start + length / 4, shift.end - length / 4)
    for earliest, latest in (middle, (shift.start, shift.end)):
        if earliest + needed <= latest:
            return BreakRule(earliest, latest, float(minutes))
    return None


def order_window(start: dt.datetime | None, end: dt.datetime | None, day: Span) -> Interval:
    """The promised window; an open end is the site's day boundary."""
    window_start = start or day[0]
    window_end = end or max(day[1], window_start)
    return Interval(window_start, window_end)


def sla_deadline(resolution_due_at: dt.datetime | None, window: Interval, day: Span) -> dt.datetime:
    """The SLA resolution deadline, or "none" (a day after the day) when absent or already missed."""
    if resolution_due_at is None or resolution_due_at <= window.start:
        return max(day[1], window.end) + OPEN_DEADLINE
    return resolution_due_at


def is_sla_critical(priority: str, resolution_due_at: dt.datetime | None, day: Span) -> bool:
    """Emergency or high priority with a resolution deadline before the site's day ends (overdue included)."""
    urgent = Priority(priority) in (Priority.EMERGENCY, Priority.HIGH)
    return urgent and resolution_due_at is not None and resolution_due_at <= day[1]


def territory_key(name: str | None) -> str:
    return name if name else NO_TERRITORY


def booking_role(
    *, status: str, locked: bool, priority: str, credit_hold: bool, order_status: str = "scheduled"
) -> BookingRole:
    """What an active booking is to the optimizer (see the module docstring)."""
    if status in ("traveling", "in_progress"):
        return BookingRole.IN_PROGRESS
    if locked or (credit_hold and priority != Priority.EMERGENCY) or order_status not in OPEN_ORDER:
        return BookingRole.LOCKED
    return BookingRole.MOVABLE


@dataclass(frozen=True, slots=True)
class _Placed:
    kind: StopKind
    order_id: str | None
    start: dt.datetime
    end: dt.datetime
    location: GeoPoint


def plan_from_bookings(
    day: FieldServiceDay, movable: Mapping[str, Booking], travel: TravelTimes[GeoPoint] | None = None
) -> FieldServicePlan:
    """The plan the day's bookings make now: fixed and movable bookings and time off, in time order, with travel."""
    travel = travel or GreatCircleTravel()
    routes = tuple(_route(day, technician, movable, travel) for technician in day.technicians)
    return FieldServicePlan(routes, ())


def _route(
    day: FieldServiceDay, technician: Technician, movable: Mapping[str, Booking], travel: TravelTimes[GeoPoint]
) -> TechnicianRoute:
    placed = [_placed(day, b, StopKind.LOCKED) for b in day.locked if b.technician_id == technician.id]
    placed += [_placed(day, b, StopKind.IN_PROGRESS) for b in day.in_progress if b.technician_id == technician.id]
    placed += [_placed(day, b, StopKind.WORK) for b in movable.values() if b.technician_id == technician.id]
    placed += [
        _Placed(StopKind.TIME_OFF, None, max(t.start, technician.shift.start), min(t.end, technician.shift.end),
                technician.home_start)
        for t in technician.time_off
        if t.overlaps(technician.shift.start, technician.shift.end)
    ]  # fmt: skip
    placed.sort(key=lambda p: (p.start, p.end))
    if not placed:
        return TechnicianRoute(technician.id, (), None)
    table = travel.table([technician.home_start, *(p.location for p in placed), technician.home_end])
    stops = tuple(
        PlannedStop(p.kind, p.order_id, p.start, p.end, p.location, float(table.duration[i, i + 1]),
                    float(table.distance[i, i + 1]))
        for i, p in enumerate(placed)
    )  # fmt: skip
    last = len(placed)
    back_minutes = float(table.duration[last, last + 1])
    return_at = placed[-1].end + dt.timedelta(minutes=back_minutes)
    return TechnicianRoute(technician.id, stops, return_at, back_minutes, float(table.distance[last, last + 1]))


def _placed(day: FieldServiceDay, booking: Booking, kind: StopKind) -> _Placed:
    order = day.order(booking.work_order_id)
    return _Placed(kind, order.id, booking.start, booking.end, order.location)


@dataclass(frozen=True, slots=True)
class OrderRow:
    """What the loader reads of a work order: its site (the order's location, else its asset's) and its promises."""

    id: int
    number: str
    priority: str
    estimated_minutes: int
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    resolution_due_at: dt.datetime | None
    credit_hold: bool
    latitude: float | None
    longitude: float | None
    timezone: str
    territory: str | None
    skills: Mapping[str, int]  # skill code -> minimum proficiency
    status: str = "unscheduled"
    preferred: frozenset[int] = frozenset()
    excluded: frozenset[int] = frozenset()

    @property
    def site(self) -> GeoPoint | None:
        if self.latitude is None or self.longitude is None:
            return None
        return GeoPoint(self.latitude, self.longitude)


def unschedulable_reason(row: OrderRow) -> tuple[str, str] | None:
    """Why an open order is not offered to the optimizer at all (reason code, detail), or None."""
    if row.site is None:
        return "no_location", "neither the order nor its asset has a location with coordinates"
    if row.credit_hold and row.priority != Priority.EMERGENCY:
        return "credit_hold", "the billing account is on credit hold: only emergency work may be booked"
    return None


def work_order_of(row: OrderRow, day: dt.date) -> WorkOrder:
    """The order as the optimizer plans it on `day` (its site must have coordinates)."""
    site = row.site
    if site is None:
        raise FieldServiceInputError(f"work order {row.number} has no coordinates")
    bounds = local_day(day, row.timezone)
    window = order_window(row.window_start, row.window_end, bounds)
    return WorkOrder(
        id=str(row.id),
        location=site,
        territory=territory_key(row.territory),
        required_skills=dict(row.skills),
        standard_minutes=float(row.estimated_minutes),
        window=window,
        sla_deadline=sla_deadline(row.resolution_due_at, window, bounds),
        priority=Priority(row.priority),
        sla_critical=is_sla_critical(row.priority, row.resolution_due_at, bounds),
        preferred=frozenset(str(r) for r in row.preferred),
        excluded=frozenset(str(r) for r in row.excluded),
    )


def booked_order_of(row: OrderRow, booking: Booking, technician: Technician) -> WorkOrder:
    """A fixed booking's order: given, not chosen, so no skill or territory demands and its booked time."""
    site = row.site
    if site is None:
        raise FieldServiceInputError(f"work order {row.number} has no coordinates")
    minutes = (booking.end - booking.start).total_seconds() / 60.0
    return WorkOrder(
        id=str(row.id),
        location=site,
        territory=technician.territory,
        required_skills={},
        standard_minutes=minutes,
        window=Interval(booking.start, booking.start),
        sla_deadline=booking.end + OPEN_DEADLINE,
        priority=Priority(row.priority),
    )
