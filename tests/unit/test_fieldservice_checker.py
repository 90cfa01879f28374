"""The independent plan checker on a hand-made plan: the valid plan passes and each rule broken by hand is caught."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from service_core.scheduling.fieldservice import (
    BreakRule,
    FieldServiceDay,
    FieldServicePlan,
    Interval,
    LockedBooking,
    PlannedStop,
    PlanViolationKind,
    StopKind,
    Technician,
    TechnicianRoute,
    WorkOrder,
    check_plan,
)
from service_core.scheduling.routing import GeoPoint, GreatCircleTravel

DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
HOME = GeoPoint(52.52, 13.40)
A, B = GeoPoint(52.55, 13.45), GeoPoint(52.50, 13.35)
TRAVEL = GreatCircleTravel()


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def minutes(frm: GeoPoint, to: GeoPoint) -> tuple[float, float]:
    table = TRAVEL.table([frm, to])
    return float(table.duration[0, 1]), float(table.distance[0, 1])


def work(kind: StopKind, order_id: str, start: dt.datetime, length: float, frm: GeoPoint, to: GeoPoint) -> PlannedStop:
    travel_minutes, km = minutes(frm, to)
    return PlannedStop(kind, order_id, start, start + dt.timedelta(minutes=length), to, travel_minutes, km)


def make_day() -> FieldServiceDay:
    tech = Technician(
        "T1",
        {"electrical": 4},
        "north",
        Interval(at(8), at(16)),
        HOME,
        HOME,
        BreakRule(at(11), at(14), 30.0),
        time_off=(Interval(at(14.5), at(15)),),
    )
    orders = (
        WorkOrder("WO1", A, "north", {"electrical": 3}, 60.0, Interval(at(8), at(12)), at(13)),
        WorkOrder("WO2", B, "north", {"electrical": 2}, 30.0, Interval(at(9), at(17)), at(17)),
    )
    return FieldServiceDay((tech,), orders, locked=(LockedBooking("T1", "WO2", at(13), at(13.5)),))


def make_plan() -> FieldServicePlan:
    stops = (
        work(StopKind.WORK, "WO1", at(9), 54.0, HOME, A),  # proficiency 4: 0.9 x 60
        PlannedStop(StopKind.BREAK, None, at(11), at(11.5), A, 0.0, 0.0),
        work(StopKind.LOCKED, "WO2", at(13), 30.0, A, B),
        work(StopKind.TIME_OFF, None, at(14.5), 30.0, B, HOME),  # type: ignore[arg-type]
    )
    back_minutes, back_km = minutes(HOME, HOME)
    return FieldServicePlan((TechnicianRoute("T1", stops, at(15), back_minutes, back_km),), ())


def replace_stop(plan: FieldServicePlan, index: int, **changes: object) -> FieldServicePlan:
    route = plan.routes[0]
    stops = list(route.stops)
    stops[index] = dataclasses.replace(stops[index], **changes)  # type: ignore[arg-type]
    return FieldServicePlan((dataclasses.replace(route, stops=tuple(stops)),), ())


def kinds(day: FieldServiceDay, plan: FieldServicePlan) -> set[PlanViolationKind]:
    return {violation.kind for violation in check_plan(day, plan).violations}


def test_the_hand_made_plan_is_valid() -> None:
    check = check_plan(make_day(), make_plan())
    assert check.ok, check.violations
    assert check.travel_km == pytest.approx(make_plan().routes[0].travel_km)


def test_missing_skill_exclusion_and_territory() -> None:
    day = make_day()
    wo1 = day.order("WO1")
    for changed, kind in [
        (dataclasses.replace(wo1, required_skills={"hvac": 1}), PlanViolationKind.SKILL),
        (dataclasses.replace(wo1, required_skills={"electrical": 5}), PlanViolationKind.SKILL),
        (dataclasses.replace(wo1, excluded=frozenset({"T1"})), PlanViolationKind.EXCLUDED),
        (dataclasses.replace(wo1, territory="south"), PlanViolationKind.TERRITORY),
    ]:
        changed_day = dataclasses.replace(day, work_orders=(changed, day.order("WO2")))
        assert kind in kinds(changed_day, make_plan())


@pytest.mark.parametrize(
    ("index", "changes", "kind"),
    [
        (0, {"start": at(12.5), "end": at(13.4)}, PlanViolationKind.WINDOW),  # starts after the window
        (0, {"start": at(12), "end": at(13.1)}, PlanViolationKind.SLA),  # ends after the SLA deadline
        (0, {"end": at(9.5)}, PlanViolationKind.DURATION),  # 30 min, proficiency 4 needs 54
        (0, {"travel_minutes": 1.0}, PlanViolationKind.TRAVEL),  # stated travel differs from the table
        (0, {"start": at(8.05), "end": at(8.05) + dt.timedelta(minutes=54)}, PlanViolationKind.SHIFT),
        (1, {"start": at(9.5), "end": at(10)}, PlanViolationKind.OVERLAP),  # break during WO1
        (1, {"start": at(10), "end": at(10.5)}, PlanViolationKind.BREAK),  # before its earliest start
        (1, {"end": at(11.25)}, PlanViolationKind.BREAK),  # too short
        (2, {"start": at(13.25), "end": at(13.75)}, PlanViolationKind.BOOKING),  # locked booking moved
        (2, {"start": at(14.5), "end": at(15)}, PlanViolationKind.TIME_OFF),  # during time off
    ],
)
def test_each_broken_rule_is_reported(index: int, changes: dict[str, object], kind: PlanViolationKind) -> None:
    assert kind in kinds(make_day(), replace_stop(make_plan(), index, **changes))


def test_too_little_travel_time_between_stops() -> None:
    plan = make_plan()
    wo1_end = plan.routes[0].stops[0].end
    moved = replace_stop(plan, 1, start=wo1_end, end=wo1_end + dt.timedelta(minutes=30))
    tight = replace_stop(moved, 2, kind=StopKind.WORK)  # not a booking any more: its order window still holds
    start = wo1_end + dt.timedelta(minutes=31)
    tight = replace_stop(tight, 2, start=start, end=start + dt.timedelta(minutes=30))
    assert PlanViolationKind.TRAVEL in kinds(make_day(), tight)


def test_late_return_missing_break_duplicates_and_unknown_orders() -> None:
    day, plan = make_day(), make_plan()
    route = plan.routes[0]
    late = FieldServicePlan((dataclasses.replace(route, stops=(*route.stops[:3], dataclasses.replace(
        route.stops[3], start=at(15.9), end=at(16.4)))),), ())  # fmt: skip
    assert PlanViolationKind.SHIFT in kinds(day, late)
    no_break = FieldServicePlan((dataclasses.replace(route, stops=(route.stops[0], *route.stops[2:])),), ())
    assert PlanViolationKind.BREAK in kinds(day, no_break)
    twice = FieldServicePlan((route, dataclasses.replace(route, technician_id="T1")), ())
    assert PlanViolationKind.DUPLICATE in kinds(day, twice)
    stranger = replace_stop(plan, 0, work_order_id="WO9")
    assert PlanViolationKind.UNKNOWN in kinds(day, stranger)
    dropped = FieldServicePlan((dataclasses.replace(route, stops=route.stops[:2]),), ())
    assert PlanViolationKind.BOOKING in kinds(day, dropped)
