"""Why each order went to its technician: skills and proficiency, territory, preference, travel in (minutes, km,
cost), arrival against the window, SLA margin, and the technicians who would have added less travel, with why
they were not chosen.  Pure; computed from the day and the plan."""

from __future__ import annotations

import datetime as dt

from service_core.scheduling.fieldservice.model import (
    PROFICIENCY_FACTOR,
    WorkOrder,
    ineligibility,
    proficiency_for,
)
from service_core.scheduling.fieldservice.network import Network, Visit
from service_core.scheduling.fieldservice.plan import (
    Explanation,
    FieldServicePlan,
    PlannedStop,
    RejectedAlternative,
    StopKind,
    TechnicianRoute,
)
from service_core.scheduling.fieldservice.timing import TimedRoute, insertion_cost, time_route

MAX_ALTERNATIVES = 3


def explain_plan(net: Network, plan: FieldServicePlan) -> tuple[Explanation, ...]:
    """One explanation per WORK stop of the plan (locked and in-progress bookings are given, not chosen)."""
    routes = {net.technician_index[r.technician_id]: _visits(net, r) for r in plan.routes}
    return tuple(
        _explain(net, routes, route, index)
        for route in plan.routes
        for index, stop in enumerate(route.stops)
        if stop.kind is StopKind.WORK and stop.work_order_id is not None
    )


def _visits(net: Network, route: TechnicianRoute) -> list[Visit]:
    k = net.technician_index[route.technician_id]
    fixed = {round(v.earliest, 6): v for v in net.fixed_visits(k)}
    visits = []
    for stop in route.stops:
        if stop.kind is StopKind.WORK and stop.work_order_id is not None:
            visits.append(net.work_visit(k, net.order(stop.work_order_id)))
        elif stop.kind is not StopKind.BREAK and (visit := fixed.get(round(net.at(stop.start), 6))) is not None:
            visits.append(visit)
    return visits


def _explain(net: Network, routes: dict[int, list[Visit]], route: TechnicianRoute, index: int) -> Explanation:
    k = net.technician_index[route.technician_id]
    stop = route.stops[index]
    order = net.order(stop.work_order_id or "")
    tech = net.day.technicians[k]
    places = [s for s in route.stops if s.kind is not StopKind.BREAK]
    at = places.index(stop)
    before = _point_of(net, k, places[at - 1]) if at else net.start_point(k)
    after = _point_of(net, k, places[at + 1]) if at + 1 < len(places) else net.end_point(k)
    point = net.order_point(order.id)
    added = float(net.km[before, point] + net.km[point, after] - net.km[before, after])
    previous = route.stops[index - 1] if index else None
    arrival = stop.start if previous is None else previous.end + dt.timedelta(minutes=stop.travel_minutes)
    level = proficiency_for(tech, order)
    skills = "; ".join(f"{s} {tech.skills.get(s, 0)} >= {m}" for s, m in sorted(order.required_skills.items()))
    return Explanation(
        work_order_id=order.id,
        technician_id=tech.id,
        skills=skills or "no skill required",
        proficiency=level,
        duration_factor=PROFICIENCY_FACTOR[max(1, min(5, level))],
        territory=tech.territory,
        preferred=(tech.id in order.preferred) if order.preferred else None,
        travel_minutes_in=stop.travel_minutes,
        travel_km_in=stop.travel_km,
        travel_cost_in=stop.travel_minutes * tech.hourly_cost / 60.0,
        added_km=added,
        arrival=min(arrival, stop.start),
        start=stop.start,
        window_start=order.window.start,
        window_end=order.window.end,
        wait_minutes=max(0.0, (stop.start - arrival).total_seconds() / 60.0),
        sla_margin_minutes=(order.sla_deadline - stop.end).total_seconds() / 60.0,
        alternatives=_alternatives(net, routes, k, order, added),
    )


def _point_of(net: Network, k: int, stop: PlannedStop) -> int:
    return net.start_point(k) if stop.work_order_id is None else net.order_point(stop.work_order_id)


def _alternatives(
    net: Network, routes: dict[int, list[Visit]], chosen: int, order: WorkOrder, added: float
) -> tuple[RejectedAlternative, ...]:
    """Technicians whose cheapest insertion would add less travel than the chosen one, and why not them."""
    point = net.order_point(order.id)
    cheaper: list[tuple[float, int, int]] = []
    for k in range(len(net.day.technicians)):
        if k == chosen:
            continue
        visits = routes.get(k, [])
        cost, position = min((insertion_cost(net, k, visits, point, p), p) for p in range(len(visits) + 1))
        if cost < added - 1e-6:
            cheaper.append((cost, k, position))
    rejected = []
    for cost, k, _position in sorted(cheaper)[:MAX_ALTERNATIVES]:
        tech = net.day.technicians[k]
        reason = ineligibility(tech, order) or _infeasible_reason(net, routes.get(k, []), k, order)
        rejected.append(RejectedAlternative(tech.id, round(cost, 3), reason))
    return tuple(rejected)


def _infeasible_reason(net: Network, visits: list[Visit], k: int, order: WorkOrder) -> str:
    visit = net.work_visit(k, order)
    reasons = []
    for position in range(len(visits) + 1):
        timed = time_route(net, k, [*visits[:position], visit, *visits[position:]])
        if isinstance(timed, TimedRoute):
            return "could fit, but the plan is cheaper overall with the chosen technician"
        reasons.append(timed.reason)
    return f"no feasible slot in the route ({reasons[0]})" if reasons else "no feasible slot in the route"
