"""Re-planning a running day: an emergency is scheduled while locked and started work stay put; a sick
technician's orders are re-placed; the disruption is reported; the checker accepts every new plan."""

from __future__ import annotations

import datetime as dt

import pytest

from service_core.scheduling.fieldservice import (
    FieldServiceDay,
    FieldServicePlan,
    GeneratorSettings,
    Interval,
    OptimizerSettings,
    Priority,
    ReplanSettings,
    StopKind,
    Technician,
    WorkOrder,
    cheapest_insertion_day,
    check_plan,
    emergency_order,
    generate_day,
    insert_emergency,
    optimize_day,
    replan_sick_technician,
)
from service_core.scheduling.fieldservice.model import FieldServiceInputError
from service_core.scheduling.routing import GeoPoint

DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
NOW = DAY + dt.timedelta(hours=11)
QUICK = ReplanSettings(time_limit_seconds=0.5, seed=1)


@pytest.fixture(scope="module")
def running() -> tuple[FieldServiceDay, FieldServicePlan]:
    day = generate_day(GeneratorSettings(orders=30, technicians=5, seed=5, locked=2, time_off=1, territories=1))
    return day, optimize_day(day, settings=OptimizerSettings(time_limit_seconds=1.0, seed=1)).plan


def fixed_stops(plan: FieldServicePlan, now: dt.datetime) -> dict[str, tuple[str, dt.datetime, dt.datetime]]:
    """Locked bookings and work already started at `now`: order -> (technician, start, end)."""
    return {
        stop.work_order_id: (route.technician_id, stop.start, stop.end)
        for route in plan.routes
        for stop in route.stops
        if stop.work_order_id is not None and (stop.kind is StopKind.LOCKED or stop.start < now)
    }


def test_emergency_is_scheduled_and_started_or_locked_work_stays(
    running: tuple[FieldServiceDay, FieldServicePlan],
) -> None:
    day, plan = running
    emergency = emergency_order(day, NOW, seed=1)
    result = insert_emergency(day, plan, emergency, now=NOW, settings=QUICK)
    assert emergency.id in result.plan.assignments()
    stop = result.plan.stop_of(emergency.id)
    assert stop is not None and stop.start >= NOW
    before, after = fixed_stops(plan, NOW), fixed_stops(result.plan, NOW)
    for order_id, (technician, start, end) in before.items():
        assert after[order_id][0] == technician
        assert (
            abs((after[order_id][1] - start).total_seconds()) < 1
            and abs((after[order_id][2] - end).total_seconds()) < 1
        )
    check = check_plan(result.day, result.plan)
    assert check.ok, check.violations
    locked = {booking.work_order_id for booking in day.locked}
    started = {order_id for order_id, (_tech, start, _end) in before.items() if start < NOW and order_id not in locked}
    assert started and {booking.work_order_id for booking in result.day.in_progress} == started
    assert emergency.id in result.disruption.added
    assert result.explanations and result.method.startswith("insertion")


def test_emergency_evicts_a_low_priority_order_when_the_day_is_full() -> None:
    home = GeoPoint(52.52, 13.40)
    tech = Technician("T1", {"hvac": 3}, "north", Interval(DAY + dt.timedelta(hours=8), DAY + dt.timedelta(hours=12)),
                      home, home)  # fmt: skip
    window = Interval(DAY + dt.timedelta(hours=8), DAY + dt.timedelta(hours=12))
    orders = tuple(
        WorkOrder(
            f"LOW{k}",
            GeoPoint(52.52 + k / 1000, 13.40),
            "north",
            {"hvac": 1},
            70.0,
            window,
            DAY + dt.timedelta(hours=12),
            Priority.LOW,
        )
        for k in range(1, 4)
    )
    day = FieldServiceDay((tech,), orders)
    plan = cheapest_insertion_day(day).plan
    assert len(plan.assignments()) == 3
    now = DAY + dt.timedelta(hours=8)
    urgent = WorkOrder("URGENT", GeoPoint(52.521, 13.401), "north", {"hvac": 1}, 60.0, window,
                       DAY + dt.timedelta(hours=12), Priority.EMERGENCY)  # fmt: skip
    result = insert_emergency(day, plan, urgent, now=now, settings=QUICK)
    assert result.method == "insertion with eviction"
    assert "URGENT" in result.plan.assignments()
    assert len(result.disruption.dropped) == 1 and result.disruption.dropped[0].startswith("LOW")
    assert check_plan(result.day, result.plan).ok


def test_known_order_id_is_refused(running: tuple[FieldServiceDay, FieldServicePlan]) -> None:
    day, plan = running
    with pytest.raises(FieldServiceInputError):
        insert_emergency(day, plan, day.work_orders[0], now=NOW)


def test_sick_technician_orders_are_re_placed(running: tuple[FieldServiceDay, FieldServicePlan]) -> None:
    day, plan = running
    sick = max(plan.routes, key=lambda route: len(route.work_order_ids))
    start = min(tech.shift.start for tech in day.technicians)
    result = replan_sick_technician(day, plan, sick.technician_id, now=start, settings=QUICK)
    assert sick.technician_id not in {route.technician_id for route in result.plan.routes}
    assert all(tech.id != sick.technician_id for tech in result.day.technicians)
    assignments = result.plan.assignments()
    unscheduled = {item.work_order_id for item in result.plan.unscheduled}
    for order_id in sick.work_order_ids:  # every order of the sick technician: elsewhere, or diagnosed
        assert order_id in assignments or order_id in unscheduled
    moved = {order_id for order_id, frm, _to in result.disruption.moved}
    assert moved >= {order_id for order_id in sick.work_order_ids if order_id in assignments}
    assert all(
        frm == sick.technician_id for _order, frm, _to in result.disruption.moved if _order in sick.work_order_ids
    )
    for booking in day.locked:  # the others' locked bookings are untouched
        if booking.technician_id != sick.technician_id:
            assert assignments[booking.work_order_id] == booking.technician_id
    check = check_plan(result.day, result.plan)
    assert check.ok, check.violations
