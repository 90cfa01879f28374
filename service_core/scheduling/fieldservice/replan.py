"""Re-planning a running day with the least disruption.

At `now`, every stop that has started becomes an in-progress booking; locked and in-progress bookings never move.
- An emergency order is first inserted at its cheapest feasible place with every other assignment kept (their
  times may shift later); if no route has room, one or two less important unstarted orders of one route make room
  and are re-inserted elsewhere when possible; only if that fails too, the day is re-solved briefly by the engine,
  started from the current plan, with a surcharge on moving any order away from its technician.
- A technician calling in sick leaves the day; their orders (their locked bookings too: they cannot be kept) are
  inserted into the other routes, most important first (SLA-critical and high-priority ones may make room as an
  emergency does); if some do not fit, the same short re-solve runs and is kept only when it schedules more.
Orders already unscheduled are offered again at the end.  The result reports who moved and whose times shifted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import time
from dataclasses import dataclass

from service_core.scheduling.fieldservice.explain import explain_plan
from service_core.scheduling.fieldservice.model import (
    Booking,
    FieldServiceDay,
    FieldServiceInputError,
    WorkOrder,
    ineligibility,
)
from service_core.scheduling.fieldservice.network import Network, Visit
from service_core.scheduling.fieldservice.optimizer import finish_plan, importance
from service_core.scheduling.fieldservice.plan import (
    Disruption,
    Explanation,
    FieldServicePlan,
    StopKind,
    disruption_between,
)
from service_core.scheduling.fieldservice.solver import SolveRequest, prize, solve_day
from service_core.scheduling.fieldservice.timing import best_insertion
from service_core.scheduling.routing.travel import GeoPoint, TravelTimes

MAX_EVICTION_CANDIDATES = 6  # least important unstarted orders of a route considered for making room


@dataclass(frozen=True, slots=True)
class ReplanSettings:
    time_limit_seconds: float = 1.5  # for the engine, only when insertion is not enough
    seed: int = 0
    explain: bool = True


@dataclass(frozen=True, slots=True)
class ReplanResult:
    day: FieldServiceDay  # the day as it now stands: new in-progress bookings, the emergency, without the sick
    plan: FieldServicePlan
    disruption: Disruption
    explanations: tuple[Explanation, ...]
    method: str  # "insertion", "insertion with eviction" or "re-solve"
    seconds: float


def insert_emergency(
    day: FieldServiceDay,
    plan: FieldServicePlan,
    order: WorkOrder,
    *,
    now: dt.datetime,
    travel: TravelTimes[GeoPoint] | None = None,
    settings: ReplanSettings | None = None,
) -> ReplanResult:
    """Add `order` to the running day at `now` (see the module docstring)."""
    settings = settings or ReplanSettings()
    started = time.perf_counter()
    if any(existing.id == order.id for existing in day.work_orders):
        raise FieldServiceInputError(f"work order {order.id} is already in the day")
    running = freeze(dataclasses.replace(day, work_orders=(*day.work_orders, order)), plan, now)
    net = Network.of(running, travel)
    not_before = net.at(now)
    routes = incumbent_routes(net, plan, not_before)
    leftovers = _unscheduled_orders(net, plan)
    insertion = best_insertion(net, routes, order, not_before=not_before)
    evicting = None if insertion is not None else _insert_evicting(net, routes, order, not_before)
    if insertion is not None:
        routes[insertion.technician] = list(insertion.timed.visits)
        new_plan, method = finish_plan(net, routes, leftovers, not_before=not_before), "insertion"
    elif evicting is not None:
        new_plan, method = finish_plan(net, evicting, leftovers, not_before=not_before), "insertion with eviction"
    else:
        new_plan, method = (
            _resolve(
                net, plan=plan, routes=routes, extra=(order, *leftovers), not_before=not_before, settings=settings
            ),
            "re-solve",
        )
    return _result(net, before=plan, after=new_plan, method=method, started=started, settings=settings)


def replan_sick_technician(
    day: FieldServiceDay,
    plan: FieldServicePlan,
    technician_id: str,
    *,
    now: dt.datetime,
    travel: TravelTimes[GeoPoint] | None = None,
    settings: ReplanSettings | None = None,
) -> ReplanResult:
    """Take `technician_id` out of the running day at `now` and re-place their orders (see the module docstring)."""
    settings = settings or ReplanSettings()
    started = time.perf_counter()
    day.technician(technician_id)  # raises for an unknown id
    sick_route = plan.route_of(technician_id)
    released_ids = set(sick_route.work_order_ids) if sick_route else set()
    others = FieldServicePlan(tuple(r for r in plan.routes if r.technician_id != technician_id), plan.unscheduled)
    running = freeze(day, others, now)
    running = dataclasses.replace(
        running,
        technicians=tuple(t for t in running.technicians if t.id != technician_id),
        locked=tuple(b for b in running.locked if b.technician_id != technician_id),
        in_progress=tuple(b for b in running.in_progress if b.technician_id != technician_id),
    )
    net = Network.of(running, travel)
    not_before = net.at(now)
    routes = incumbent_routes(net, others, not_before)
    released = sorted((running.order(order_id) for order_id in released_ids), key=importance)
    left = []
    for order in released:
        insertion = best_insertion(net, routes, order, not_before=not_before)
        if insertion is not None:
            routes[insertion.technician] = list(insertion.timed.visits)
        elif order.must_schedule and (evicting := _insert_evicting(net, routes, order, not_before)) is not None:
            routes = evicting  # an SLA-critical or high-priority order may push out a less important one
        else:
            left.append(order)
    leftovers = _unscheduled_orders(net, plan)
    new_plan, method = finish_plan(net, routes, (*left, *leftovers), not_before=not_before), "insertion"
    if left:
        resolved = _resolve(
            net, plan=others, routes=routes, extra=(*left, *leftovers), not_before=not_before, settings=settings
        )
        if _scheduled_value(net, resolved) > _scheduled_value(net, new_plan):
            new_plan, method = resolved, "re-solve"
    return _result(net, before=plan, after=new_plan, method=method, started=started, settings=settings)


def _insert_evicting(
    net: Network, routes: dict[int, list[Visit]], order: WorkOrder, not_before: float
) -> dict[int, list[Visit]] | None:
    """Make room for `order` in one eligible route by taking out one or two less important unstarted orders, which
    are then re-inserted elsewhere when possible.  Best: the least value left unscheduled, then the least travel
    added; None when no such swap exists."""
    value = prize(order)
    best: tuple[int, float, dict[int, list[Visit]]] | None = None
    for k, visits in routes.items():
        if ineligibility(net.day.technicians[k], order) is not None:
            continue
        victims = sorted(
            (v for v in visits if not v.fixed and prize(net.order(v.order_id or "")) < value),
            key=lambda v: (prize(net.order(v.order_id or "")), -v.duration),
        )
        for size in (1, 2):
            for group in itertools.combinations(victims[:MAX_EVICTION_CANDIDATES], size):
                candidate = _evict(net, routes=routes, k=k, group=group, order=order, not_before=not_before)
                if candidate is not None and (best is None or candidate[:2] < best[:2]):
                    best = candidate
            if best is not None:
                return best[2]
    return None


def _evict(
    net: Network,
    *,
    routes: dict[int, list[Visit]],
    k: int,
    group: tuple[Visit, ...],
    order: WorkOrder,
    not_before: float,
) -> tuple[int, float, dict[int, list[Visit]]] | None:
    trial = {**routes, k: [v for v in routes[k] if v not in group]}
    placed = best_insertion(net, trial, order, not_before=not_before, technicians=[k])
    if placed is None:
        return None
    trial[k] = list(placed.timed.visits)
    lost, km = 0, placed.added_km
    for victim in group:
        victim_order = net.order(victim.order_id or "")
        again = best_insertion(net, trial, victim_order, not_before=not_before)
        if again is None:
            lost += prize(victim_order)
            continue
        trial[again.technician] = list(again.timed.visits)
        km += again.added_km
    return lost, km, trial


def freeze(day: FieldServiceDay, plan: FieldServicePlan, now: dt.datetime) -> FieldServiceDay:
    """Every planned work stop that has started by `now` becomes an in-progress booking."""
    started = [
        Booking(route.technician_id, stop.work_order_id, stop.start, stop.end)
        for route in plan.routes
        for stop in route.stops
        if stop.kind is StopKind.WORK and stop.work_order_id is not None and stop.start < now
    ]
    return dataclasses.replace(day, in_progress=(*day.in_progress, *started))


def incumbent_routes(net: Network, plan: FieldServicePlan, not_before: float) -> dict[int, list[Visit]]:
    """The plan's routes as visit sequences of the (frozen) day; unstarted work may not start before `not_before`."""
    routes: dict[int, list[Visit]] = {}
    for route in plan.routes:
        k = net.technician_index.get(route.technician_id)
        if k is None:
            continue
        fixed = net.fixed_visits(k)
        booked = {v.order_id: v for v in fixed if v.order_id is not None}
        time_off = [v for v in fixed if v.kind is StopKind.TIME_OFF]
        visits = []
        for stop in route.stops:
            if stop.work_order_id in booked:
                visits.append(booked[stop.work_order_id])
            elif stop.kind is StopKind.WORK and stop.work_order_id is not None:
                visits.append(net.work_visit(k, net.order(stop.work_order_id), not_before=not_before))
            elif stop.kind is StopKind.TIME_OFF and time_off:
                visits.append(min(time_off, key=lambda v: abs(v.earliest - net.at(stop.start))))
        routes[k] = visits
    for k in range(len(net.day.technicians)):
        routes.setdefault(k, net.fixed_visits(k))
    return routes


def _resolve(
    net: Network,
    *,
    plan: FieldServicePlan,
    routes: dict[int, list[Visit]],
    extra: tuple[WorkOrder, ...],
    not_before: float,
    settings: ReplanSettings,
) -> FieldServicePlan:
    """A short engine run from the current routes, discouraging moves away from the incumbent technician."""
    incumbent = {
        order_id: net.technician_index[route.technician_id]
        for route in plan.routes
        if route.technician_id in net.technician_index
        for order_id in route.work_order_ids
    }
    booked = net.booked_order_ids()
    movable = [net.order(order_id) for order_id in incumbent if order_id not in booked]
    orders = tuple({order.id: order for order in (*movable, *extra)}.values())
    fixed = {k: net.fixed_visits(k) for k in range(len(net.day.technicians))}
    request = SolveRequest(
        orders, fixed, settings.time_limit_seconds, settings.seed, not_before=not_before, incumbent=incumbent,
        initial=routes,
    )  # fmt: skip
    outcome = solve_day(net, request)
    return finish_plan(net, {**fixed, **outcome.routes}, orders, not_before=not_before)


def _unscheduled_orders(net: Network, plan: FieldServicePlan) -> tuple[WorkOrder, ...]:
    return tuple(net.order(u.work_order_id) for u in plan.unscheduled if u.work_order_id in net.order_index)


def _scheduled_value(net: Network, plan: FieldServicePlan) -> int:
    return sum(prize(net.order(order_id)) for order_id in plan.assignments())


def _result(
    net: Network,
    *,
    before: FieldServicePlan,
    after: FieldServicePlan,
    method: str,
    started: float,
    settings: ReplanSettings,
) -> ReplanResult:
    explanations = explain_plan(net, after) if settings.explain else ()
    return ReplanResult(
        net.day, after, disruption_between(before, after), explanations, method, time.perf_counter() - started
    )
