"""Optimise a field-service day: the entry points the service core calls (`optimize_day`, and the baseline
`cheapest_insertion_day`), and the pipeline shared with re-planning.

Pipeline: the engine (PyVRP, see `solver`) proposes visit sequences -> each route is re-timed exactly in floats
with the technician's own durations and the break placed (`timing`); a route that does not fit sheds its
least valuable orders -> orders shed or left out are offered to every route by cheapest feasible insertion,
most important first -> what is still left is diagnosed -> every assignment is explained.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from service_core.scheduling.fieldservice.diagnose import diagnose
from service_core.scheduling.fieldservice.explain import explain_plan
from service_core.scheduling.fieldservice.model import FieldServiceDay, Priority, WorkOrder
from service_core.scheduling.fieldservice.network import Network, Visit
from service_core.scheduling.fieldservice.plan import Explanation, FieldServicePlan
from service_core.scheduling.fieldservice.solver import ENGINE, SolveRequest, prize, solve_day
from service_core.scheduling.fieldservice.timing import TimedRoute, best_insertion, time_route, to_route
from service_core.scheduling.routing.travel import GeoPoint, TravelTimes

log = logging.getLogger(__name__)

PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


@dataclass(frozen=True, slots=True)
class OptimizerSettings:
    time_limit_seconds: float = 10.0
    seed: int = 0
    balance: bool = True
    explain: bool = True

    def __post_init__(self) -> None:
        if self.time_limit_seconds <= 0:
            raise ValueError("time_limit_seconds must be positive")


@dataclass(frozen=True, slots=True)
class PlanResult:
    plan: FieldServicePlan
    explanations: tuple[Explanation, ...]
    seconds: float
    engine: str
    feasible_in_engine: bool


def importance(order: WorkOrder) -> tuple[int, int, str]:
    """Sort key, most important first: SLA-critical, then by priority, then id."""
    return (0 if order.sla_critical else 1, PRIORITY_RANK[order.priority], order.id)


def optimize_day(
    day: FieldServiceDay, *, travel: TravelTimes[GeoPoint] | None = None, settings: OptimizerSettings | None = None
) -> PlanResult:
    """Plan the day with the engine; locked and in-progress bookings stay exactly as booked."""
    settings = settings or OptimizerSettings()
    started = time.perf_counter()
    net = Network.of(day, travel)
    free = free_orders(net)
    fixed = {k: net.fixed_visits(k) for k in range(len(day.technicians))}
    request = SolveRequest(free, fixed, settings.time_limit_seconds, settings.seed, balance=settings.balance)
    outcome = solve_day(net, request)
    plan = finish_plan(net, {**fixed, **outcome.routes}, free)
    explanations = explain_plan(net, plan) if settings.explain else ()
    return PlanResult(plan, explanations, time.perf_counter() - started, ENGINE, outcome.feasible_in_engine)


def cheapest_insertion_day(
    day: FieldServiceDay, *, travel: TravelTimes[GeoPoint] | None = None, explain: bool = False
) -> PlanResult:
    """The baseline: bookings and time off first, then each order, most important first, at its cheapest
    feasible place in any eligible technician's route.  Deterministic; no search."""
    started = time.perf_counter()
    net = Network.of(day, travel)
    free = free_orders(net)
    plan = finish_plan(net, {k: net.fixed_visits(k) for k in range(len(day.technicians))}, free)
    explanations = explain_plan(net, plan) if explain else ()
    return PlanResult(plan, explanations, time.perf_counter() - started, "cheapest insertion", True)


def free_orders(net: Network) -> tuple[WorkOrder, ...]:
    booked = net.booked_order_ids()
    return tuple(order for order in net.day.work_orders if order.id not in booked)


def finish_plan(
    net: Network,
    sequences: dict[int, list[Visit]],
    orders: Iterable[WorkOrder],
    *,
    not_before: float | None = None,
) -> FieldServicePlan:
    """Time every sequence exactly (shedding what does not fit), insert the rest cheapest-first, diagnose what is
    left and build the plan."""
    timed, shed = retime(net, sequences)
    routes = {k: list(route.visits) for k, route in timed.items()}
    placed = {v.order_id for visits in routes.values() for v in visits if v.order_id is not None}
    pending = sorted((o for o in orders if o.id not in placed), key=importance)
    unscheduled = []
    for order in pending:
        insertion = best_insertion(net, routes, order, not_before=not_before)
        if insertion is None:
            unscheduled.append(diagnose(net, order, not_before=not_before))
            continue
        routes[insertion.technician] = list(insertion.timed.visits)
        timed[insertion.technician] = insertion.timed
    if shed:
        log.info("%d order(s) did not fit their engine route exactly and were re-inserted", len(shed))
    plan_routes = tuple(to_route(net, timed.get(k), k) for k in range(len(net.day.technicians)))
    return FieldServicePlan(plan_routes, tuple(unscheduled))


def retime(net: Network, sequences: dict[int, list[Visit]]) -> tuple[dict[int, TimedRoute], list[str]]:
    """Exact timing of each technician's sequence; a route that does not fit drops its least valuable work
    orders one at a time (fixed visits always stay)."""
    timed: dict[int, TimedRoute] = {}
    shed: list[str] = []
    for k in range(len(net.day.technicians)):
        visits = list(sequences.get(k, []))
        result = time_route(net, k, visits)
        while not isinstance(result, TimedRoute):
            droppable = [v for v in visits if not v.fixed]
            if not droppable:
                result = forced(net, k, visits)
                log.warning("technician %s: fixed bookings do not fit (%s)", net.day.technicians[k].id, result)
                break
            victim = min(droppable, key=lambda v: (prize(net.order(v.order_id or "")), -v.duration))
            visits.remove(victim)
            shed.append(victim.order_id or "")
            result = time_route(net, k, visits)
        timed[k] = result
    return timed, shed


def forced(net: Network, k: int, visits: list[Visit]) -> TimedRoute:
    """Fixed visits exactly at their times even when they cannot be met (the checker will say what is wrong)."""
    starts = tuple(v.earliest for v in visits)
    last = visits[-1] if visits else None
    back = net.shift(k)[0] if last is None else starts[-1] + last.duration
    if last is not None:
        back += float(net.minutes[last.point, net.end_point(k)])
    return TimedRoute(k, tuple(visits), starts, None, 0.0, back)
