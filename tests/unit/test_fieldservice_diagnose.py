"""The diagnoser's reasons, on a hand-made day where each order fails for one reason."""

from __future__ import annotations

import datetime as dt

from service_core.scheduling.fieldservice import (
    FieldServiceDay,
    Interval,
    Technician,
    UnscheduledReason,
    WorkOrder,
    cheapest_insertion_day,
)
from service_core.scheduling.fieldservice.diagnose import diagnose
from service_core.scheduling.fieldservice.network import Network
from service_core.scheduling.routing import GeoPoint

DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
HOME = GeoPoint(52.52, 13.40)
NEAR = GeoPoint(52.53, 13.41)
FAR = GeoPoint(53.40, 13.40)  # about 98 km north: over three hours away


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def order(order_id: str, **changes: object) -> WorkOrder:
    fields: dict[str, object] = {
        "id": order_id,
        "location": NEAR,
        "territory": "north",
        "required_skills": {"electrical": 2},
        "standard_minutes": 60.0,
        "window": Interval(at(8), at(15)),
        "sla_deadline": at(16),
    }
    fields.update(changes)
    return WorkOrder(**fields)  # type: ignore[arg-type]


def make_day() -> FieldServiceDay:
    technicians = (
        Technician("T1", {"electrical": 3}, "north", Interval(at(8), at(16)), HOME, HOME),
        Technician("T2", {"hvac": 5}, "south", Interval(at(8), at(16)), HOME, HOME),
    )
    orders = (
        order("SKILL", required_skills={"welding": 1}),
        order("LEVEL", required_skills={"electrical": 4}),
        order("TERRITORY", required_skills={"hvac": 1}),
        order("FAR", location=FAR, window=Interval(at(8), at(9)), sla_deadline=at(12)),
        order("SLA", standard_minutes=120.0, sla_deadline=at(9.5)),
        order("BIG1", standard_minutes=420.0),
        order("BIG2", standard_minutes=400.0),
    )
    return FieldServiceDay(technicians, orders)


def test_each_reason_is_found() -> None:
    result = cheapest_insertion_day(make_day())
    reasons = {item.work_order_id: item.reason for item in result.plan.unscheduled}
    assert reasons == {
        "SKILL": UnscheduledReason.NO_QUALIFIED_TECHNICIAN,
        "LEVEL": UnscheduledReason.NO_QUALIFIED_TECHNICIAN,
        "TERRITORY": UnscheduledReason.NO_TECHNICIAN_IN_TERRITORY,
        "FAR": UnscheduledReason.WINDOW_UNREACHABLE,
        "SLA": UnscheduledReason.WINDOW_UNREACHABLE,
        "BIG2": UnscheduledReason.CAPACITY_EXHAUSTED,
    }
    assert result.plan.assignments() == {"BIG1": "T1"}


def test_details_name_the_cause() -> None:
    day = make_day()
    net = Network.of(day)
    assert "welding >= 1" in diagnose(net, day.order("SKILL")).detail
    assert "none in territory north" in diagnose(net, day.order("TERRITORY")).detail
    assert "T1: " in diagnose(net, day.order("FAR")).detail
    assert "SLA" in diagnose(net, day.order("SLA")).detail
    # on an empty day BIG2 fits: capacity is the reason only once BIG1 is planned
    assert diagnose(net, day.order("BIG2")).reason is UnscheduledReason.CAPACITY_EXHAUSTED
