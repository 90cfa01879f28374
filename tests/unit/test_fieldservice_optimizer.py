"""The optimizer end to end on a small generated day (30 orders, 5 technicians) and on hand-made days: plans the
independent checker accepts, locked bookings kept, SLA-critical orders first, durations per technician."""

from __future__ import annotations

import datetime as dt

import pytest

from service_core.scheduling.fieldservice import (
    BreakRule,
    FieldServiceDay,
    GeneratorSettings,
    Interval,
    OptimizerSettings,
    Priority,
    StopKind,
    Technician,
    WorkOrder,
    cheapest_insertion_day,
    check_plan,
    generate_day,
    optimize_day,
    service_minutes,
)
from service_core.scheduling.routing import GeoPoint

QUICK = OptimizerSettings(time_limit_seconds=1.0, seed=1)
DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
HOME = GeoPoint(52.52, 13.40)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


@pytest.fixture(scope="module")
def small_day() -> FieldServiceDay:
    return generate_day(GeneratorSettings(orders=30, technicians=5, seed=11, locked=2, time_off=1, territories=1))


def test_small_day_is_planned_feasibly_with_bookings_kept(small_day: FieldServiceDay) -> None:
    result = optimize_day(small_day, settings=QUICK)
    check = check_plan(small_day, result.plan)
    assert check.ok, check.violations
    assert result.feasible_in_engine
    for booking in small_day.locked:
        stop = result.plan.stop_of(booking.work_order_id)
        assert stop is not None and stop.kind is StopKind.LOCKED
        assert (
            abs((stop.start - booking.start).total_seconds()) < 1 and abs((stop.end - booking.end).total_seconds()) < 1
        )
        assert result.plan.assignments()[booking.work_order_id] == booking.technician_id
    assigned = result.plan.assignments()
    assert all(order.id in assigned for order in small_day.work_orders if order.sla_critical)
    planned = set(assigned) | {item.work_order_id for item in result.plan.unscheduled}
    assert planned == {order.id for order in small_day.work_orders}  # every order: planned or diagnosed
    assert len(result.explanations) == sum(
        1 for route in result.plan.routes for stop in route.stops if stop.kind is StopKind.WORK
    )


def test_stops_last_the_technicians_own_duration(small_day: FieldServiceDay) -> None:
    plan = optimize_day(small_day, settings=QUICK).plan
    for route in plan.routes:
        tech = small_day.technician(route.technician_id)
        for stop in route.stops:
            if stop.kind is StopKind.WORK and stop.work_order_id is not None:
                expected = service_minutes(tech, small_day.order(stop.work_order_id))
                assert (stop.end - stop.start).total_seconds() / 60 == pytest.approx(expected, abs=1e-3)
        if route.work_order_ids:  # everyone who works takes a break
            assert sum(1 for stop in route.stops if stop.kind is StopKind.BREAK) == 1


def test_optimizer_is_no_worse_than_the_baseline(small_day: FieldServiceDay) -> None:
    baseline = cheapest_insertion_day(small_day)
    result = optimize_day(small_day, settings=QUICK)
    assert check_plan(small_day, baseline.plan).ok
    assert result.plan.scheduled_count >= baseline.plan.scheduled_count


def technician(tech_id: str, proficiency: int) -> Technician:
    return Technician(
        tech_id, {"hvac": proficiency}, "north", Interval(at(8), at(16)), HOME, HOME, BreakRule(at(11), at(14), 30.0)
    )


def job(order_id: str, **changes: object) -> WorkOrder:
    fields: dict[str, object] = {
        "id": order_id,
        "location": GeoPoint(52.53, 13.42),
        "territory": "north",
        "required_skills": {"hvac": 1},
        "standard_minutes": 200.0,
        "window": Interval(at(8), at(15)),
        "sla_deadline": at(16),
        "priority": Priority.LOW,
    }
    fields.update(changes)
    return WorkOrder(**fields)  # type: ignore[arg-type]


def test_sla_critical_and_high_priority_orders_win_when_capacity_is_short() -> None:
    # one technician, room for two 200-minute jobs of four
    orders = (
        job("LOW1"),
        job("CRIT", sla_critical=True),
        job("LOW2"),
        job("HIGH", priority=Priority.HIGH),
    )
    day = FieldServiceDay((technician("T1", 3),), orders)
    result = optimize_day(day, settings=QUICK)
    assert check_plan(day, result.plan).ok
    assert set(result.plan.assignments()) == {"CRIT", "HIGH"}
    assert {item.work_order_id for item in result.plan.unscheduled} == {"LOW1", "LOW2"}


def test_preferred_technician_is_chosen_when_it_costs_nothing() -> None:
    orders = (job("WO1", standard_minutes=60.0, preferred=frozenset({"T2"})),)
    day = FieldServiceDay((technician("T1", 3), technician("T2", 3)), orders)
    result = optimize_day(day, settings=QUICK)
    assert result.plan.assignments() == {"WO1": "T2"}
    assert result.explanations[0].preferred is True
