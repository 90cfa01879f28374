"""Why an order is not in the plan, decided from the day alone (pure): the first of
no qualified technician (skills, proficiency, exclusions) -> no qualified technician in the order's territory ->
no such technician could start it in its window and finish by the SLA deadline even with an empty day ->
capacity exhausted (someone could have, but their day is full)."""

from __future__ import annotations

from service_core.scheduling.fieldservice.model import WorkOrder, missing_skills
from service_core.scheduling.fieldservice.network import Network
from service_core.scheduling.fieldservice.plan import Unscheduled, UnscheduledReason
from service_core.scheduling.fieldservice.timing import Infeasible, TimedRoute, time_route


def diagnose(net: Network, order: WorkOrder, *, not_before: float | None = None) -> Unscheduled:
    technicians = net.day.technicians
    qualified = [k for k, t in enumerate(technicians) if not missing_skills(t, order) and t.id not in order.excluded]
    if not qualified:
        return Unscheduled(order.id, UnscheduledReason.NO_QUALIFIED_TECHNICIAN, _skills_text(order))
    local = [k for k in qualified if technicians[k].territory == order.territory]
    if not local:
        detail = f"{len(qualified)} qualified technician(s), none in territory {order.territory}"
        return Unscheduled(order.id, UnscheduledReason.NO_TECHNICIAN_IN_TERRITORY, detail)
    reasons = []
    for k in local:
        alone = _alone(net, k, order, not_before)
        if isinstance(alone, TimedRoute):
            detail = f"{len(local)} eligible technician(s) could do it on an otherwise free day; all are fully booked"
            return Unscheduled(order.id, UnscheduledReason.CAPACITY_EXHAUSTED, detail)
        reasons.append(f"{technicians[k].id}: {alone.reason}")
    return Unscheduled(order.id, UnscheduledReason.WINDOW_UNREACHABLE, "; ".join(reasons[:3]))


def _alone(net: Network, k: int, order: WorkOrder, not_before: float | None) -> TimedRoute | Infeasible:
    """The order in the technician's day with nothing else but the fixed visits, at any position among them."""
    fixed = net.fixed_visits(k)
    visit = net.work_visit(k, order, not_before=not_before)
    first: Infeasible | None = None
    for position in range(len(fixed) + 1):
        timed = time_route(net, k, [*fixed[:position], visit, *fixed[position:]])
        if isinstance(timed, TimedRoute):
            return timed
        first = first or timed
    return first or Infeasible("no position")


def _skills_text(order: WorkOrder) -> str:
    needs = ", ".join(f"{skill} >= {level}" for skill, level in sorted(order.required_skills.items()))
    return f"no technician has {needs} (and is not excluded)"
