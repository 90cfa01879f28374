"""An independent checker of a field-service plan, written from the model's rules alone (it shares no code with
the optimizer: it recomputes durations from the proficiency table and travel through the `TravelTimes` seam).

It verifies: every order at most once and known; skills and minimum proficiency; exclusions; territories; service
starts within the promised window and ends by the SLA deadline; the stop lasts at least the technician's duration;
stops in time order without overlap and with the travel time between places; each stop's stated travel equals the
recomputed one; leaving no earlier than the shift start and back home by its end; one break of the required length
inside its bounds for a technician who works; nothing during time off; locked and in-progress bookings present,
with the same technician and times.  Times are compared with a tolerance of `TOLERANCE_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from service_core.scheduling.fieldservice.model import PROFICIENCY_FACTOR, FieldServiceDay, Technician, WorkOrder
from service_core.scheduling.fieldservice.plan import FieldServicePlan, PlannedStop, StopKind, TechnicianRoute
from service_core.scheduling.routing.travel import GeoPoint, GreatCircleTravel, TravelTimes

TOLERANCE_SECONDS = 1.0
TRAVEL_TOLERANCE_MINUTES = 0.01
WORK = (StopKind.WORK, StopKind.LOCKED, StopKind.IN_PROGRESS)


class Report(Protocol):
    def __call__(self, kind: PlanViolationKind, detail: str, order_id: str | None = None) -> None: ...


class PlanViolationKind(enum.StrEnum):
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    SKILL = "skill"
    EXCLUDED = "excluded"
    TERRITORY = "territory"
    WINDOW = "window"
    SLA = "sla"
    DURATION = "duration"
    OVERLAP = "overlap"
    TRAVEL = "travel"
    SHIFT = "shift"
    BREAK = "break"
    TIME_OFF = "time_off"
    BOOKING = "booking"


@dataclass(frozen=True, slots=True)
class PlanViolation:
    kind: PlanViolationKind
    detail: str
    technician_id: str | None = None
    work_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class PlanCheck:
    violations: tuple[PlanViolation, ...]
    travel_km: float  # recomputed

    @property
    def ok(self) -> bool:
        return not self.violations


def check_plan(
    day: FieldServiceDay, plan: FieldServicePlan, *, travel: TravelTimes[GeoPoint] | None = None
) -> PlanCheck:
    travel = travel or GreatCircleTravel()
    orders = {order.id: order for order in day.work_orders}
    technicians = {technician.id: technician for technician in day.technicians}
    violations: list[PlanViolation] = []
    counts = Counter(order for route in plan.routes for order in route.work_order_ids)
    for order_id, count in sorted(counts.items()):
        if order_id not in orders:
            violations.append(PlanViolation(PlanViolationKind.UNKNOWN, "not in the day", work_order_id=order_id))
        elif count > 1:
            violations.append(PlanViolation(PlanViolationKind.DUPLICATE, f"planned {count} times", None, order_id))
    total_km = 0.0
    for route in plan.routes:
        technician = technicians.get(route.technician_id)
        if technician is None:
            violations.append(PlanViolation(PlanViolationKind.UNKNOWN, "no such technician", route.technician_id))
            continue
        route_violations, km = _check_route(technician, route, orders, travel)
        violations += route_violations
        total_km += km
    violations += _check_bookings(day, plan)
    return PlanCheck(tuple(violations), total_km)


def _check_route(
    technician: Technician, route: TechnicianRoute, orders: dict[str, WorkOrder], travel: TravelTimes[GeoPoint]
) -> tuple[list[PlanViolation], float]:
    found: list[PlanViolation] = []

    def add(kind: PlanViolationKind, detail: str, order_id: str | None = None) -> None:
        found.append(PlanViolation(kind, detail, technician.id, order_id))

    for stop in route.stops:
        if stop.kind in WORK and stop.work_order_id in orders:
            for kind, detail in _order_problems(technician, orders[stop.work_order_id], stop):
                add(kind, detail, stop.work_order_id)
    km = _check_sequence(technician, route, travel, add)
    _check_break(technician, route, add)
    for interval in technician.time_off:
        for stop in route.stops:
            if stop.kind is not StopKind.TIME_OFF and interval.overlaps(stop.start, stop.end):
                add(
                    PlanViolationKind.TIME_OFF, f"{stop.kind} at {stop.start:%H:%M} during time off", stop.work_order_id
                )
    return found, km


def _order_problems(technician: Technician, order: WorkOrder, stop: PlannedStop) -> list[tuple[PlanViolationKind, str]]:
    problems = []
    for skill, minimum in sorted(order.required_skills.items()):
        if technician.skills.get(skill, 0) < minimum:
            problems.append((PlanViolationKind.SKILL, f"{skill} {technician.skills.get(skill, 0)} < {minimum}"))
    if technician.id in order.excluded:
        problems.append((PlanViolationKind.EXCLUDED, "technician excluded by the order"))
    if technician.territory != order.territory:
        problems.append((PlanViolationKind.TERRITORY, f"{technician.territory} != {order.territory}"))
    if stop.kind is not StopKind.WORK:
        return problems  # bookings keep their booked times
    if _before(stop.start, order.window.start) or _before(order.window.end, stop.start):
        problems.append((PlanViolationKind.WINDOW, f"starts {stop.start:%H:%M}, window {order.window.start:%H:%M}"
                         f"-{order.window.end:%H:%M}"))  # fmt: skip
    if _before(order.sla_deadline, stop.end):
        problems.append((PlanViolationKind.SLA, f"ends {stop.end:%H:%M}, SLA deadline {order.sla_deadline:%H:%M}"))
    levels = [technician.skills.get(skill, 0) for skill in order.required_skills] or [3]
    needed = order.standard_minutes * PROFICIENCY_FACTOR[max(1, min(5, *levels))]
    if (stop.end - stop.start).total_seconds() < needed * 60.0 - TOLERANCE_SECONDS:
        problems.append((PlanViolationKind.DURATION, f"{(stop.end - stop.start)} shorter than {needed:.1f} min"))
    return problems


def _check_sequence(
    technician: Technician, route: TechnicianRoute, travel: TravelTimes[GeoPoint], add: Report
) -> float:
    """Places in order: home, stops, home; travel between them fits the gaps and matches what the plan says."""
    if not route.stops:
        return 0.0
    places = [technician.home_start, *(stop.location for stop in route.stops), technician.home_end]
    table = travel.table(places)
    first = route.stops[0]
    clock = first.start - dt.timedelta(minutes=float(table.duration[0, 1]))
    if _before(clock, technician.shift.start):
        add(PlanViolationKind.SHIFT, f"leaves at {clock:%H:%M}, before the shift starts")
    km = 0.0
    previous_end = clock
    for index, stop in enumerate(route.stops, start=1):
        minutes, leg_km = float(table.duration[index - 1, index]), float(table.distance[index - 1, index])
        km += leg_km
        if abs(minutes - stop.travel_minutes) > TRAVEL_TOLERANCE_MINUTES:
            add(PlanViolationKind.TRAVEL, f"states {stop.travel_minutes:.2f} min travel, it is {minutes:.2f}",
                stop.work_order_id)  # fmt: skip
        if stop.end < stop.start:
            add(PlanViolationKind.OVERLAP, "ends before it starts", stop.work_order_id)
        if _before(stop.start, previous_end):
            add(
                PlanViolationKind.OVERLAP,
                f"starts {stop.start:%H:%M} before the previous stop ends",
                stop.work_order_id,
            )
        elif _before(stop.start, previous_end + dt.timedelta(minutes=minutes)):
            add(PlanViolationKind.TRAVEL, f"{minutes:.1f} min of travel do not fit before {stop.start:%H:%M}",
                stop.work_order_id)  # fmt: skip
        previous_end = stop.end
    last = len(route.stops)
    home_minutes = float(table.duration[last, last + 1])
    km += float(table.distance[last, last + 1])
    back = previous_end + dt.timedelta(minutes=home_minutes)
    if _before(technician.shift.end, back):
        add(PlanViolationKind.SHIFT, f"back home at {back:%H:%M}, after the shift ends")
    return km


def _check_break(technician: Technician, route: TechnicianRoute, add: Report) -> None:
    breaks = [stop for stop in route.stops if stop.kind is StopKind.BREAK]
    works = any(stop.kind in WORK for stop in route.stops)
    rule = technician.break_rule
    if rule is None or not works:
        return
    if len(breaks) != 1:
        add(PlanViolationKind.BREAK, f"{len(breaks)} breaks, expected one")
        return
    taken = breaks[0]
    if (taken.end - taken.start).total_seconds() < rule.minutes * 60.0 - TOLERANCE_SECONDS:
        add(PlanViolationKind.BREAK, f"break of {taken.end - taken.start}, {rule.minutes:g} min required")
    if _before(taken.start, rule.earliest_start) or _before(rule.latest_end, taken.end):
        add(PlanViolationKind.BREAK, f"break {taken.start:%H:%M}-{taken.end:%H:%M} outside its bounds")


def _check_bookings(day: FieldServiceDay, plan: FieldServicePlan) -> list[PlanViolation]:
    violations = []
    for kind, bookings in ((StopKind.LOCKED, day.locked), (StopKind.IN_PROGRESS, day.in_progress)):
        for booking in bookings:
            route = plan.route_of(booking.technician_id)
            stops = [s for s in (route.stops if route else ()) if s.work_order_id == booking.work_order_id]
            same = [
                s
                for s in stops
                if s.kind is kind and not _apart(s.start, booking.start) and not _apart(s.end, booking.end)
            ]
            if not same:
                detail = f"{kind} booking with {booking.technician_id} at {booking.start:%H:%M} was changed or dropped"
                violations.append(PlanViolation(PlanViolationKind.BOOKING, detail, booking.technician_id,
                                                booking.work_order_id))  # fmt: skip
    return violations


def _before(earlier: dt.datetime, later: dt.datetime) -> bool:
    """`earlier` is before `later` by more than the tolerance."""
    return (later - earlier).total_seconds() > TOLERANCE_SECONDS


def _apart(one: dt.datetime, other: dt.datetime) -> bool:
    return abs((one - other).total_seconds()) > TOLERANCE_SECONDS
