"""What the optimizer returns: one route per technician (timed stops, travel), the orders it could not schedule
with a reason, and the explanation of every assignment.  Plain frozen data, in datetimes and GeoPoints."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from service_core.scheduling.routing.travel import GeoPoint


class StopKind(enum.StrEnum):
    WORK = "work"
    LOCKED = "locked"
    IN_PROGRESS = "in_progress"
    BREAK = "break"
    TIME_OFF = "time_off"


SHIFT_NOISE_SECONDS = 1.0  # start times closer than this count as unchanged (float re-timing)
WORK_KINDS = frozenset({StopKind.WORK, StopKind.LOCKED, StopKind.IN_PROGRESS})


class UnscheduledReason(enum.StrEnum):
    NO_QUALIFIED_TECHNICIAN = "no_qualified_technician"
    NO_TECHNICIAN_IN_TERRITORY = "no_technician_in_territory"
    WINDOW_UNREACHABLE = "window_unreachable_before_sla"
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    TECHNICIAN_UNAVAILABLE = "technician_unavailable"


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """A stop reached after `travel_minutes` / `travel_km` from the previous one (a break: from where it is taken,
    so zero).  `work_order_id` is None for breaks and time off."""

    kind: StopKind
    work_order_id: str | None
    start: dt.datetime
    end: dt.datetime
    location: GeoPoint
    travel_minutes: float
    travel_km: float


@dataclass(frozen=True, slots=True)
class TechnicianRoute:
    technician_id: str
    stops: tuple[PlannedStop, ...]
    return_at: dt.datetime | None  # back at the end home base; None when the technician stays home all day
    return_travel_minutes: float = 0.0
    return_travel_km: float = 0.0

    @property
    def depart_at(self) -> dt.datetime | None:
        if not self.stops:
            return None
        first = self.stops[0]
        return first.start - dt.timedelta(minutes=first.travel_minutes)

    @property
    def travel_km(self) -> float:
        return sum(stop.travel_km for stop in self.stops) + self.return_travel_km

    @property
    def travel_minutes(self) -> float:
        return sum(stop.travel_minutes for stop in self.stops) + self.return_travel_minutes

    @property
    def work_minutes(self) -> float:
        return sum((stop.end - stop.start).total_seconds() / 60.0 for stop in self.stops if stop.kind in WORK_KINDS)

    @property
    def work_order_ids(self) -> tuple[str, ...]:
        return tuple(stop.work_order_id for stop in self.stops if stop.work_order_id is not None)


@dataclass(frozen=True, slots=True)
class Unscheduled:
    work_order_id: str
    reason: UnscheduledReason
    detail: str


@dataclass(frozen=True, slots=True)
class RejectedAlternative:
    technician_id: str
    added_km: float | None  # travel the order would have added to that technician's route (None: not computed)
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    work_order_id: str
    technician_id: str
    skills: str  # e.g. "electrical 4 >= 3; hvac 3 >= 2"
    proficiency: int
    duration_factor: float
    territory: str
    preferred: bool | None  # None: the order states no preference
    travel_minutes_in: float
    travel_km_in: float
    travel_cost_in: float  # travel minutes at the technician's hourly cost
    added_km: float  # detour this order adds to the route
    arrival: dt.datetime
    start: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    wait_minutes: float
    sla_margin_minutes: float  # SLA deadline minus finish
    alternatives: tuple[RejectedAlternative, ...]


@dataclass(frozen=True, slots=True)
class FieldServicePlan:
    routes: tuple[TechnicianRoute, ...]
    unscheduled: tuple[Unscheduled, ...]

    def assignments(self) -> dict[str, str]:
        """Work order id -> technician id, for every scheduled order (locked and in progress included)."""
        return {order: route.technician_id for route in self.routes for order in route.work_order_ids}

    def stop_of(self, work_order_id: str) -> PlannedStop | None:
        for route in self.routes:
            for stop in route.stops:
                if stop.work_order_id == work_order_id:
                    return stop
        return None

    def route_of(self, technician_id: str) -> TechnicianRoute | None:
        return next((route for route in self.routes if route.technician_id == technician_id), None)

    @property
    def travel_km(self) -> float:
        return sum(route.travel_km for route in self.routes)

    @property
    def scheduled_count(self) -> int:
        return sum(len(route.work_order_ids) for route in self.routes)


@dataclass(frozen=True, slots=True)
class Disruption:
    """How a re-plan changed the running day."""

    moved: tuple[tuple[str, str, str], ...]  # (work order, from technician, to technician)
    shifted: tuple[tuple[str, float], ...]  # (work order, start moved by minutes), same technician
    dropped: tuple[str, ...]  # scheduled before, not any more
    added: tuple[str, ...]  # scheduled now, not before

    @property
    def max_shift_minutes(self) -> float:
        return max((abs(minutes) for _order, minutes in self.shifted), default=0.0)


def disruption_between(before: FieldServicePlan, after: FieldServicePlan) -> Disruption:
    """Compare two plans of the same day order by order."""
    old, new = before.assignments(), after.assignments()
    moved, shifted = [], []
    for order, technician in sorted(new.items()):
        if order not in old:
            continue
        if old[order] != technician:
            moved.append((order, old[order], technician))
            continue
        old_stop, new_stop = before.stop_of(order), after.stop_of(order)
        if old_stop is not None and new_stop is not None:
            seconds = (new_stop.start - old_stop.start).total_seconds()
            if abs(seconds) >= SHIFT_NOISE_SECONDS:
                shifted.append((order, seconds / 60.0))
    dropped = tuple(sorted(set(old) - set(new)))
    added = tuple(sorted(set(new) - set(old)))
    return Disruption(tuple(moved), tuple(shifted), dropped, added)
