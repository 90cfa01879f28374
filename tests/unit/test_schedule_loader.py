"""The loader's pure mapping from service-core rows to the field-service model, the plan existing bookings make,
and which bookings applying a plan changes."""

from __future__ import annotations

import datetime as dt

import pytest

from service_core.scheduling import day_mapping as m
from service_core.scheduling.day_loader import CurrentBooking
from service_core.scheduling.day_mapping import BookingRole, OrderRow
from service_core.scheduling.fieldservice import (
    Booking,
    FieldServiceDay,
    FieldServiceInputError,
    FieldServicePlan,
    Interval,
    PlannedStop,
    Priority,
    StopKind,
    Technician,
    TechnicianRoute,
    check_plan,
)
from service_core.scheduling.routing.travel import GeoPoint
from service_core.scheduling.writer import plan_changes

DAY = dt.date(2030, 1, 7)
UTC = dt.UTC


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 1, 7, hour, minute, tzinfo=UTC)


def row(**fields: object) -> OrderRow:
    values: dict[str, object] = {
        "id": 7, "number": "WO-7", "priority": "normal", "estimated_minutes": 60, "window_start": None,
        "window_end": None, "resolution_due_at": None, "credit_hold": False, "latitude": 52.0, "longitude": 5.0,
        "timezone": "UTC", "territory": "North", "skills": {"hvac": 3},
    }  # fmt: skip
    return OrderRow(**{**values, **fields})  # type: ignore[arg-type]


def technician(tid: str = "1", **fields: object) -> Technician:
    values: dict[str, object] = {
        "id": tid, "skills": {"hvac": 4}, "territory": "North", "shift": Interval(at(8), at(17)),
        "home_start": GeoPoint(52.0, 5.0), "home_end": GeoPoint(52.0, 5.0),
    }  # fmt: skip
    return Technician(**{**values, **fields})  # type: ignore[arg-type]


def test_local_day_follows_the_time_zone() -> None:
    start, end = m.local_day(DAY, "Europe/Amsterdam")
    assert (start, end) == (at(0) - dt.timedelta(hours=1), at(23))


def test_shift_is_the_hull_of_the_spans_and_gaps_are_time_off() -> None:
    shift, time_off = m.shift_of([(at(13), at(17)), (at(8), at(12))]) or (None, ())
    assert shift == Interval(at(8), at(17)) and time_off == (Interval(at(12), at(13)),)
    assert m.shift_of([]) is None
    assert m.shift_of([(at(8), at(16))]) == (Interval(at(8), at(16)), ())


def test_time_off_and_blocked_bookings_are_merged() -> None:
    joined = m.merged([Interval(at(12), at(13)), Interval(at(9), at(10)), Interval(at(12, 30), at(14))])
    assert joined == (Interval(at(9), at(10)), Interval(at(12), at(14)))


def test_break_is_in_the_middle_half_else_anywhere_else_none() -> None:
    rule = m.break_rule(Interval(at(8), at(16)), 30)
    assert rule is not None and (rule.earliest_start, rule.latest_end, rule.minutes) == (at(10), at(14), 30.0)
    short = m.break_rule(Interval(at(8), at(9)), 40)  # the middle half (30 min) is too short
    assert short is not None and (short.earliest_start, short.latest_end) == (at(8), at(9))
    assert m.break_rule(Interval(at(8), at(9)), 90) is None
    assert m.break_rule(Interval(at(8), at(16)), 0) is None


def test_window_open_ends_are_the_sites_day() -> None:
    day = m.local_day(DAY, "UTC")
    assert m.order_window(None, None, day) == Interval(at(0), at(0) + dt.timedelta(days=1))
    assert m.order_window(at(9), None, day) == Interval(at(9), at(0) + dt.timedelta(days=1))
    assert m.order_window(None, at(12), day) == Interval(at(0), at(12))


def test_sla_deadline_is_the_resolution_due_unless_absent_or_missed() -> None:
    day = m.local_day(DAY, "UTC")
    window = Interval(at(9), at(12))
    assert m.sla_deadline(at(15), window, day) == at(15)
    far = day[1] + m.OPEN_DEADLINE
    assert m.sla_deadline(None, window, day) == far
    assert m.sla_deadline(at(8), window, day) == far  # already missed: as soon as possible, no hard deadline


@pytest.mark.parametrize(
    ("priority", "due", "critical"),
    [
        ("emergency", at(15), True),
        ("high", at(15), True),
        ("high", at(0) - dt.timedelta(hours=2), True),  # overdue
        ("high", at(0) + dt.timedelta(days=2), False),  # due after the day
        ("high", None, False),
        ("normal", at(15), False),
        ("low", at(15), False),
    ],
)
def test_sla_critical_rule(priority: str, due: dt.datetime | None, critical: bool) -> None:
    assert m.is_sla_critical(priority, due, m.local_day(DAY, "UTC")) is critical


@pytest.mark.parametrize(
    ("fields", "role"),
    [
        ({"status": "scheduled", "locked": False}, BookingRole.MOVABLE),
        ({"status": "scheduled", "locked": True}, BookingRole.LOCKED),
        ({"status": "traveling", "locked": False}, BookingRole.IN_PROGRESS),
        ({"status": "in_progress", "locked": True}, BookingRole.IN_PROGRESS),
        ({"status": "scheduled", "locked": False, "credit_hold": True}, BookingRole.LOCKED),
        ({"status": "scheduled", "locked": False, "credit_hold": True, "priority": "emergency"}, BookingRole.MOVABLE),
        ({"status": "scheduled", "locked": False, "order_status": "completed"}, BookingRole.LOCKED),
    ],
)
def test_booking_role(fields: dict[str, object], role: BookingRole) -> None:
    values: dict[str, object] = {"priority": "normal", "credit_hold": False, **fields}
    assert m.booking_role(**values) is role  # type: ignore[arg-type]


def test_unschedulable_reasons() -> None:
    assert m.unschedulable_reason(row()) is None
    assert m.unschedulable_reason(row(latitude=None))[0] == "no_location"  # type: ignore[index]
    assert m.unschedulable_reason(row(credit_hold=True))[0] == "credit_hold"  # type: ignore[index]
    assert m.unschedulable_reason(row(credit_hold=True, priority="emergency")) is None


def test_work_order_maps_every_field() -> None:
    order = m.work_order_of(
        row(priority="high", window_start=at(9), window_end=at(12), resolution_due_at=at(14), territory=None,
            preferred=frozenset({3}), excluded=frozenset({4}), timezone="Europe/Amsterdam"),
        DAY,
    )  # fmt: skip
    assert order.id == "7" and order.location == GeoPoint(52.0, 5.0) and order.territory == m.NO_TERRITORY
    assert order.required_skills == {"hvac": 3} and order.standard_minutes == 60.0
    assert order.window == Interval(at(9), at(12)) and order.sla_deadline == at(14)
    assert order.priority is Priority.HIGH and order.sla_critical
    assert order.preferred == frozenset({"3"}) and order.excluded == frozenset({"4"})
    with pytest.raises(FieldServiceInputError):
        m.work_order_of(row(longitude=None), DAY)


def test_booked_order_is_given_without_demands() -> None:
    booking = Booking("1", "7", at(13), at(14, 30))
    order = m.booked_order_of(row(territory="South", skills={"hvac": 5}), booking, technician())
    assert order.required_skills == {} and order.territory == "North" and order.standard_minutes == 90.0


def test_plan_from_bookings_orders_stops_and_passes_the_checker() -> None:
    tech = technician(time_off=(Interval(at(12), at(13)),))
    day = FieldServiceDay(
        technicians=(tech,),
        work_orders=(m.work_order_of(row(id=7), DAY), m.booked_order_of(row(id=8, latitude=52.01),
                     Booking("1", "8", at(14), at(15)), tech)),
        locked=(Booking("1", "8", at(14), at(15)),),
    )  # fmt: skip
    plan = m.plan_from_bookings(day, {"7": Booking("1", "7", at(9), at(10))})
    route = plan.routes[0]
    assert [(s.kind, s.work_order_id) for s in route.stops] == [
        (StopKind.WORK, "7"), (StopKind.TIME_OFF, None), (StopKind.LOCKED, "8"),
    ]  # fmt: skip
    assert route.stops[0].travel_minutes == 0.0 and route.stops[2].travel_km > 1.0
    assert route.return_at is not None and route.return_at > at(15)
    assert check_plan(day, plan).ok


def _booking(order: int, resource: int, start: dt.datetime, end: dt.datetime) -> CurrentBooking:
    return CurrentBooking(100 + order, order, resource, start, end, BookingRole.MOVABLE)


def _plan(*stops: tuple[str, str, StopKind, dt.datetime, dt.datetime]) -> FieldServicePlan:
    routes: dict[str, list[PlannedStop]] = {}
    for tech, order, kind, start, end in stops:
        routes.setdefault(tech, []).append(PlannedStop(kind, order, start, end, GeoPoint(52, 5), 10.2, 5.0))
    return FieldServicePlan(tuple(TechnicianRoute(t, tuple(s), None) for t, s in routes.items()), ())


def test_plan_changes_keep_move_drop_and_create() -> None:
    movable = {
        1: _booking(1, 5, at(9), at(10)),  # same place and time (within a minute): kept
        2: _booking(2, 5, at(11), at(12)),  # other technician: canceled and booked anew
        3: _booking(3, 5, at(13), at(14)),  # not in the plan: canceled (dropped)
        4: _booking(4, 6, at(8), at(9)),  # started by now (frozen in progress): kept
    }
    plan = _plan(
        ("5", "1", StopKind.WORK, at(9) + dt.timedelta(seconds=30), at(10)),
        ("6", "2", StopKind.WORK, at(11), at(12)),
        ("6", "4", StopKind.IN_PROGRESS, at(8), at(9)),
        ("5", "9", StopKind.WORK, at(15), at(16)),
        ("5", "8", StopKind.LOCKED, at(16), at(17)),
    )
    changes = plan_changes(movable, plan)
    assert [b.work_order_id for b in changes.unchanged] == [1, 4]
    assert [b.work_order_id for b in changes.cancel] == [2, 3]
    assert sorted(changes.create) == [2, 9]
    assert changes.create[9].resource_id == 5 and changes.create[9].travel_minutes == 11
    assert changes.create[2].start_at == at(11)
