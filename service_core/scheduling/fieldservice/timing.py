"""Exact timing of a technician's route in floats, with the break placed, and cheapest feasible insertion.

A route leaves the start base no earlier than the shift start, reaches each visit, waits for its earliest start,
must start it by its latest start (fixed visits: exactly at their time), and is back at the end base by the shift
end.  The break is taken in one piece at a gap between visits (at the place just left, before travelling on): of
all gaps that keep the route feasible, the one that brings the technician home earliest.  Routes with no work
need no break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from service_core.scheduling.fieldservice.model import WorkOrder, ineligibility
from service_core.scheduling.fieldservice.network import Network, Visit
from service_core.scheduling.fieldservice.plan import WORK_KINDS, PlannedStop, StopKind, TechnicianRoute

EPSILON = 1e-7  # minutes
PREFERENCE_PENALTY_KM = 2.0  # an insertion for a non-preferred technician must save this much travel


@dataclass(frozen=True, slots=True)
class TimedRoute:
    technician: int
    visits: tuple[Visit, ...]
    starts: tuple[float, ...]
    break_gap: int | None  # the break is taken just before travelling to visits[break_gap] (len: before home)
    break_start: float
    back: float


@dataclass(frozen=True, slots=True)
class Infeasible:
    reason: str


def time_route(net: Network, technician: int, visits: Sequence[Visit]) -> TimedRoute | Infeasible:
    """Time the visits in this order exactly, or say what cannot be met first."""
    plain = _forward(net, technician, visits, None)
    rule = net.day.technicians[technician].break_rule
    if isinstance(plain, Infeasible) or rule is None or not any(v.kind in WORK_KINDS for v in visits):
        return plain
    best: TimedRoute | Infeasible = Infeasible("no gap in the route leaves room for the break")
    latest_break_start = net.at(rule.latest_end) - rule.minutes
    for gap in range(len(visits) + 1):
        ready = plain.starts[gap - 1] + visits[gap - 1].duration if gap else net.shift(technician)[0]
        if ready > latest_break_start + EPSILON:
            break  # later gaps are ready even later
        timed = _forward(net, technician, visits, gap)
        if isinstance(timed, TimedRoute) and (isinstance(best, Infeasible) or timed.back < best.back - EPSILON):
            best = timed
    return best


def _forward(net: Network, technician: int, visits: Sequence[Visit], break_gap: int | None) -> TimedRoute | Infeasible:
    clock, shift_end = net.shift(technician)
    rule = net.day.technicians[technician].break_rule
    minutes = net.minutes
    position = net.start_point(technician)
    starts: list[float] = []
    break_start = 0.0
    for gap, visit in enumerate(visits):
        if gap == break_gap and rule is not None:
            break_start = max(clock, net.at(rule.earliest_start))
            clock = break_start + rule.minutes
        start = max(clock + minutes[position, visit.point], visit.earliest)
        if start > visit.latest_start + EPSILON:
            return Infeasible(_late(visit, start, net))
        starts.append(start)
        clock, position = start + visit.duration, visit.point
    if break_gap == len(visits) and rule is not None:
        break_start = max(clock, net.at(rule.earliest_start))
        clock = break_start + rule.minutes
    if rule is not None and break_gap is not None and break_start + rule.minutes > net.at(rule.latest_end) + EPSILON:
        return Infeasible("the break cannot end by its latest end")
    back = clock + minutes[position, net.end_point(technician)]
    if back > shift_end + EPSILON:
        return Infeasible(f"back at base {back - shift_end:.0f} min after the shift ends")
    return TimedRoute(technician, tuple(visits), tuple(starts), break_gap, break_start, back)


def _late(visit: Visit, start: float, net: Network) -> str:
    late = start - visit.latest_start
    if visit.kind is StopKind.TIME_OFF:
        return f"reaches base {late:.0f} min after time off begins"
    if visit.fixed:
        return f"reaches booked {visit.order_id} {late:.0f} min after its fixed start"
    order = net.day.work_orders[net.order_index[visit.order_id or ""]]
    if visit.latest_start < net.at(order.window.end) - EPSILON:
        return f"{visit.order_id} would finish {late:.0f} min after its SLA deadline"
    return f"{visit.order_id} would start {late:.0f} min after its window closes"


@dataclass(frozen=True, slots=True)
class Insertion:
    technician: int
    position: int
    added_km: float
    timed: TimedRoute


def insertion_cost(net: Network, technician: int, visits: Sequence[Visit], point: int, position: int) -> float:
    """Kilometres added by visiting `point` at `position` (a break costs no travel)."""
    before = visits[position - 1].point if position else net.start_point(technician)
    after = visits[position].point if position < len(visits) else net.end_point(technician)
    km = net.km
    return float(km[before, point] + km[point, after] - km[before, after])


def best_insertion(
    net: Network,
    routes: dict[int, list[Visit]],
    order: WorkOrder,
    *,
    not_before: float | None = None,
    technicians: Sequence[int] | None = None,
) -> Insertion | None:
    """The cheapest feasible insertion of `order` into any eligible technician's route (travel added, plus a
    penalty for non-preferred technicians), or None."""
    candidates: list[tuple[float, int, int]] = []
    point = net.order_point(order.id)
    for k in technicians if technicians is not None else range(len(net.day.technicians)):
        tech = net.day.technicians[k]
        if ineligibility(tech, order) is not None:
            continue
        penalty = PREFERENCE_PENALTY_KM if order.preferred and tech.id not in order.preferred else 0.0
        visits = routes.get(k, [])
        for position in range(len(visits) + 1):
            candidates.append((insertion_cost(net, k, visits, point, position) + penalty, k, position))
    candidates.sort()
    for cost, k, position in candidates:
        visits = routes.get(k, [])
        visit = net.work_visit(k, order, not_before=not_before)
        timed = time_route(net, k, [*visits[:position], visit, *visits[position:]])
        if isinstance(timed, TimedRoute):
            return Insertion(k, position, cost, timed)
    return None


def to_route(net: Network, timed: TimedRoute | None, technician: int) -> TechnicianRoute:
    """The timed route as planned stops in datetimes (an untimed or empty route: the technician stays home)."""
    tech = net.day.technicians[technician]
    if timed is None or not timed.visits:
        return TechnicianRoute(tech.id, (), None)
    stops: list[PlannedStop] = []
    position = net.start_point(technician)
    rule = tech.break_rule
    for gap, (visit, start) in enumerate(zip(timed.visits, timed.starts, strict=True)):
        if gap == timed.break_gap and rule is not None:
            stops.append(_break_stop(net, timed.break_start, rule.minutes, position))
        leg_minutes, leg_km = float(net.minutes[position, visit.point]), float(net.km[position, visit.point])
        end = net.moment(start + visit.duration)
        stops.append(
            PlannedStop(
                visit.kind, visit.order_id, net.moment(start), end, net.points[visit.point], leg_minutes, leg_km
            )
        )
        position = visit.point
    if timed.break_gap == len(timed.visits) and rule is not None:
        stops.append(_break_stop(net, timed.break_start, rule.minutes, position))
    home = net.end_point(technician)
    return TechnicianRoute(
        tech.id, tuple(stops), net.moment(timed.back), float(net.minutes[position, home]), float(net.km[position, home])
    )


def _break_stop(net: Network, start: float, minutes: float, position: int) -> PlannedStop:
    moment = net.moment(start)
    return PlannedStop(
        StopKind.BREAK, None, moment, moment + dt.timedelta(minutes=minutes), net.points[position], 0.0, 0.0
    )
