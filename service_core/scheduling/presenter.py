"""Turn the optimizer's plain results into the public plan: database ids and numbers, per-technician stops with
their explanations, unscheduled orders with reasons, totals and the independent checker's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from service_core.scheduling.day_loader import LoadedDay
from service_core.scheduling.fieldservice import (
    Disruption,
    Explanation,
    FieldServiceDay,
    FieldServicePlan,
    PlanCheck,
    PlannedStop,
    TechnicianRoute,
)
from service_core.scheduling.schemas import (
    AlternativePublic,
    AppliedPublic,
    CheckPublic,
    DisruptionPublic,
    ExplanationPublic,
    Mode,
    MovePublic,
    PlanTotals,
    RoutePublic,
    SchedulePlanPublic,
    ShiftedPublic,
    StopPublic,
    UnscheduledPublic,
    ViolationPublic,
)

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Outcome:
    """Everything one optimizer run produced, for presenting and applying."""

    loaded: LoadedDay
    day: FieldServiceDay  # the day as planned (a re-plan changes it)
    plan: FieldServicePlan
    explanations: tuple[Explanation, ...]
    check: PlanCheck
    seconds: float
    method: str
    disruption: Disruption | None = None
    notes: list[str] = field(default_factory=list)

    def explanation_of(self, work_order_id: str) -> Explanation | None:
        return next((e for e in self.explanations if e.work_order_id == work_order_id), None)


def plan_public(outcome: Outcome, *, mode: Mode, applied: AppliedPublic | None = None) -> SchedulePlanPublic:
    """The public plan of one run."""
    return SchedulePlanPublic(
        mode=mode,
        day=outcome.loaded.date,
        method=outcome.method,
        seconds=round(outcome.seconds, 3),
        routes=[_route(outcome, route) for route in outcome.plan.routes],
        unscheduled=_unscheduled(outcome),
        totals=_totals(outcome),
        check=_check(outcome.check),
        disruption=None if outcome.disruption is None else _disruption(outcome.disruption),
        applied=applied,
        notes=outcome.notes,
    )


def explanation_public(outcome: Outcome, explanation: Explanation) -> ExplanationPublic:
    names = outcome.loaded.names
    return ExplanationPublic(
        skills=explanation.skills,
        proficiency=explanation.proficiency,
        duration_factor=explanation.duration_factor,
        territory=explanation.territory,
        preferred=explanation.preferred,
        travel_minutes_in=round(explanation.travel_minutes_in, 1),
        travel_km_in=round(explanation.travel_km_in, 2),
        travel_cost_in=Decimal(str(explanation.travel_cost_in)).quantize(CENT, ROUND_HALF_UP),
        added_km=round(explanation.added_km, 2),
        arrival=explanation.arrival,
        window_start=explanation.window_start,
        window_end=explanation.window_end,
        wait_minutes=round(explanation.wait_minutes, 1),
        sla_margin_minutes=round(explanation.sla_margin_minutes, 1),
        alternatives=[
            AlternativePublic(
                resource_id=int(a.technician_id),
                name=names.get(int(a.technician_id), ""),
                added_km=None if a.added_km is None else round(a.added_km, 2),
                reason=a.reason,
            )
            for a in explanation.alternatives
        ],
    )


def _route(outcome: Outcome, route: TechnicianRoute) -> RoutePublic:
    technician = outcome.day.technician(route.technician_id)
    rid = int(route.technician_id)
    return RoutePublic(
        resource_id=rid,
        name=outcome.loaded.names.get(rid, ""),
        territory=technician.territory,
        shift_start=technician.shift.start,
        shift_end=technician.shift.end,
        depart_at=route.depart_at,
        return_at=route.return_at,
        travel_km=round(route.travel_km, 2),
        travel_minutes=round(route.travel_minutes, 1),
        work_minutes=round(route.work_minutes, 1),
        stops=[_stop(outcome, stop) for stop in route.stops],
    )


def _stop(outcome: Outcome, stop: PlannedStop) -> StopPublic:
    order_id = None if stop.work_order_id is None else int(stop.work_order_id)
    explanation = None if stop.work_order_id is None else outcome.explanation_of(stop.work_order_id)
    return StopPublic(
        kind=stop.kind.value,
        work_order_id=order_id,
        work_order_number=None if order_id is None else outcome.loaded.numbers.get(order_id),
        start_at=stop.start,
        end_at=stop.end,
        travel_minutes=round(stop.travel_minutes, 1),
        travel_km=round(stop.travel_km, 2),
        explanation=None if explanation is None else explanation_public(outcome, explanation),
    )


def _unscheduled(outcome: Outcome) -> list[UnscheduledPublic]:
    numbers = outcome.loaded.numbers
    found = [
        UnscheduledPublic(
            work_order_id=int(u.work_order_id),
            work_order_number=numbers.get(int(u.work_order_id), ""),
            reason=u.reason.value,
            detail=u.detail,
        )
        for u in outcome.plan.unscheduled
    ]
    found += [
        UnscheduledPublic(
            work_order_id=u.work_order_id,
            work_order_number=numbers.get(u.work_order_id, ""),
            reason=u.reason,
            detail=u.detail,
        )
        for u in outcome.loaded.unschedulable
    ]
    return found


def _totals(outcome: Outcome) -> PlanTotals:
    planned = outcome.plan.assignments()
    critical = [order.id for order in outcome.day.work_orders if order.sla_critical]
    left_out = [u for u in outcome.loaded.unschedulable if u.sla_critical]
    return PlanTotals(
        travel_km=round(outcome.plan.travel_km, 2),
        scheduled=outcome.plan.scheduled_count,
        unscheduled=len(outcome.plan.unscheduled) + len(outcome.loaded.unschedulable),
        sla_critical_scheduled=sum(1 for order_id in critical if order_id in planned),
        sla_critical_total=len(critical) + len(left_out),
    )


def _check(check: PlanCheck) -> CheckPublic:
    return CheckPublic(
        ok=check.ok,
        violations=[
            ViolationPublic(
                kind=v.kind.value,
                detail=v.detail,
                resource_id=_int(v.technician_id),
                work_order_id=_int(v.work_order_id),
            )
            for v in check.violations
        ],
        travel_km=round(check.travel_km, 2),
    )


def _disruption(disruption: Disruption) -> DisruptionPublic:
    return DisruptionPublic(
        moved=[
            MovePublic(work_order_id=int(o), from_resource_id=int(a), to_resource_id=int(b))
            for o, a, b in disruption.moved
        ],
        shifted=[ShiftedPublic(work_order_id=int(o), minutes=round(m, 1)) for o, m in disruption.shifted],
        dropped=[int(o) for o in disruption.dropped],
        added=[int(o) for o in disruption.added],
        max_shift_minutes=round(disruption.max_shift_minutes, 1),
    )


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)
