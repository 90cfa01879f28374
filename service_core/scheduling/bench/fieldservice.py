"""The field-service part of `bench schedule`: a generated day (seeded) planned by the optimizer and, in the same
run, by the cheapest-insertion baseline; an emergency inserted into the running day; a technician calling in sick.
Every plan is verified by the independent plan checker."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from service_core.scheduling.fieldservice.checker import check_plan
from service_core.scheduling.fieldservice.generator import GeneratorSettings, emergency_order, generate_day
from service_core.scheduling.fieldservice.model import FieldServiceDay
from service_core.scheduling.fieldservice.optimizer import (
    OptimizerSettings,
    PlanResult,
    cheapest_insertion_day,
    optimize_day,
)
from service_core.scheduling.fieldservice.plan import FieldServicePlan
from service_core.scheduling.fieldservice.replan import ReplanResult, ReplanSettings, insert_emergency
from service_core.scheduling.fieldservice.replan import replan_sick_technician as replan_sick
from service_core.scheduling.fieldservice.solver import ENGINE

log = logging.getLogger(__name__)

TARGET_PLAN_SECONDS = 20.0
TARGET_EMERGENCY_SECONDS = 2.0
EMERGENCY_AFTER = dt.timedelta(hours=4)  # after the earliest shift start


@dataclass(frozen=True, slots=True)
class FieldServiceBenchOptions:
    orders: int = 300
    technicians: int = 40
    seed: int = 0
    time_limit_seconds: float = 12.0
    replan_time_limit_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.time_limit_seconds <= 0 or self.replan_time_limit_seconds <= 0:
            raise ValueError("field-service time limits must be positive")


@dataclass(frozen=True, slots=True)
class PlanFigures:
    scheduled: int
    sla_critical_scheduled: int
    travel_km: float
    seconds: float
    checker_ok: bool
    violations: int
    unscheduled_reasons: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, day: FieldServiceDay, plan: FieldServicePlan, seconds: float) -> PlanFigures:
        check = check_plan(day, plan)
        assigned = plan.assignments()
        critical = sum(1 for order in day.work_orders if order.sla_critical and order.id in assigned)
        reasons = Counter(str(item.reason) for item in plan.unscheduled)
        return cls(len(assigned), critical, check.travel_km, seconds, check.ok, len(check.violations), dict(reasons))


@dataclass(frozen=True, slots=True)
class ReplanFigures:
    seconds: float
    method: str
    checker_ok: bool
    moved: int
    shifted: int
    max_shift_minutes: float
    dropped: int
    detail: dict[str, Any]

    @classmethod
    def of(cls, result: ReplanResult, detail: dict[str, Any]) -> ReplanFigures:
        disruption = result.disruption
        return cls(
            result.seconds, result.method, check_plan(result.day, result.plan).ok, len(disruption.moved),
            len(disruption.shifted), disruption.max_shift_minutes, len(disruption.dropped), detail,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class FieldServiceBenchReport:
    options: FieldServiceBenchOptions
    orders: int
    technicians: int
    sla_critical_total: int
    solver: PlanFigures
    baseline: PlanFigures
    emergency: ReplanFigures
    sick: ReplanFigures

    @property
    def checker_ok(self) -> bool:
        """The optimizer's plan and both re-plans passed the independent checker."""
        return self.solver.checker_ok and self.emergency.checker_ok and self.sick.checker_ok

    @property
    def targets_met(self) -> bool:
        return (
            self.checker_ok
            and self.solver.sla_critical_scheduled == self.sla_critical_total
            and self.solver.seconds <= TARGET_PLAN_SECONDS
            and self.emergency.seconds <= TARGET_EMERGENCY_SECONDS
            and bool(self.emergency.detail.get("scheduled"))
        )

    def to_dict(self) -> dict[str, Any]:
        solver, baseline = self.solver, self.baseline
        return {
            "orders": self.orders,
            "technicians": self.technicians,
            "scheduled": solver.scheduled,
            "sla_critical_total": self.sla_critical_total,
            "sla_critical_scheduled": solver.sla_critical_scheduled,
            "plan_seconds": round(solver.seconds, 3),
            "emergency_insert_seconds": round(self.emergency.seconds, 3),
            "sick_replan_seconds": round(self.sick.seconds, 3),
            "travel_km": round(solver.travel_km, 3),
            "unscheduled_reasons": solver.unscheduled_reasons,
            "checker_ok": self.checker_ok,
            "violations": solver.violations,
            "targets_met": self.targets_met,
            "engine": ENGINE,
            "time_limit_seconds": self.options.time_limit_seconds,
            "replan_time_limit_seconds": self.options.replan_time_limit_seconds,
            "seed": self.options.seed,
            "emergency": _replan_dict(self.emergency),
            "sick": _replan_dict(self.sick),
            "baseline": {
                "method": "cheapest feasible insertion, most important first",
                "scheduled": baseline.scheduled,
                "sla_critical_scheduled": baseline.sla_critical_scheduled,
                "travel_km": round(baseline.travel_km, 3),
                "seconds": round(baseline.seconds, 3),
                "checker_ok": baseline.checker_ok,
                "unscheduled_reasons": baseline.unscheduled_reasons,
            },
        }

    def summary(self) -> str:
        solver, baseline, emergency, sick = self.solver, self.baseline, self.emergency, self.sick
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(solver.unscheduled_reasons.items()))
        return "\n".join([
            f"field service: {self.orders} orders, {self.technicians} technicians, engine {ENGINE}, "
            f"{self.options.time_limit_seconds:g} s, seed {self.options.seed}",
            f"scheduled {solver.scheduled} (SLA-critical {solver.sla_critical_scheduled}/{self.sla_critical_total}), "
            f"travel {solver.travel_km:.1f} km, plan {solver.seconds:.1f} s; baseline (cheapest insertion) "
            f"{baseline.scheduled} (SLA-critical {baseline.sla_critical_scheduled}), {baseline.travel_km:.1f} km, "
            f"{baseline.seconds:.2f} s",
            f"unscheduled: {reasons or 'none'}",
            f"emergency: {'scheduled' if emergency.detail.get('scheduled') else 'NOT scheduled'} by "
            f"{emergency.method} in {emergency.seconds:.2f} s, {emergency.moved} moved, {emergency.shifted} shifted "
            f"(max {emergency.max_shift_minutes:.0f} min)",
            f"sick {sick.detail.get('technician')}: {sick.detail.get('rescheduled')}/{sick.detail.get('released')} "
            f"orders re-placed by {sick.method} in {sick.seconds:.2f} s, {sick.dropped} dropped",
            f"independent checker: {_yes(self.checker_ok)} (baseline {_yes(baseline.checker_ok)})",
            f"targets met (all SLA-critical, plan <= {TARGET_PLAN_SECONDS:g} s, emergency <= "
            f"{TARGET_EMERGENCY_SECONDS:g} s, checker): {'yes' if self.targets_met else 'NO'}",
        ])  # fmt: skip


def run_field_service_bench(options: FieldServiceBenchOptions) -> FieldServiceBenchReport:
    day = generate_day(
        GeneratorSettings(orders=options.orders, technicians=options.technicians, seed=options.seed,
                          locked=max(1, options.technicians // 3))
    )  # fmt: skip
    baseline: PlanResult = cheapest_insertion_day(day)
    planned = optimize_day(day, settings=OptimizerSettings(options.time_limit_seconds, options.seed))
    solver = PlanFigures.of(day, planned.plan, planned.seconds)
    log.info("field service: %d of %d orders scheduled in %.1f s", solver.scheduled, options.orders, planned.seconds)
    replan = ReplanSettings(options.replan_time_limit_seconds, options.seed)
    day_start = min(technician.shift.start for technician in day.technicians)
    now = day_start + EMERGENCY_AFTER
    emergency = emergency_order(day, now, seed=options.seed)
    inserted = insert_emergency(day, planned.plan, emergency, now=now, settings=replan)
    emergency_figures = ReplanFigures.of(
        inserted, {"scheduled": emergency.id in inserted.plan.assignments(), "now": now.isoformat()}
    )
    busiest = max(planned.plan.routes, key=lambda route: (len(route.work_order_ids), route.technician_id))
    sick_id, before = busiest.technician_id, set(busiest.work_order_ids)
    released = len(before)
    sick = replan_sick(day, planned.plan, sick_id, now=day_start, settings=replan)
    rescheduled = len(before & set(sick.plan.assignments()))
    sick_detail = {
        "technician": sick_id,
        "released": released,
        "rescheduled": rescheduled,
        "now": day_start.isoformat(),
    }
    return FieldServiceBenchReport(
        options=options,
        orders=len(day.work_orders),
        technicians=len(day.technicians),
        sla_critical_total=sum(1 for order in day.work_orders if order.sla_critical),
        solver=solver,
        baseline=PlanFigures.of(day, baseline.plan, baseline.seconds),
        emergency=emergency_figures,
        sick=ReplanFigures.of(sick, sick_detail),
    )


def _replan_dict(figures: ReplanFigures) -> dict[str, Any]:
    return {
        **figures.detail,
        "seconds": round(figures.seconds, 3),
        "method": figures.method,
        "checker_ok": figures.checker_ok,
        "moved": figures.moved,
        "shifted": figures.shifted,
        "max_shift_minutes": round(figures.max_shift_minutes, 2),
        "dropped": figures.dropped,
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"
