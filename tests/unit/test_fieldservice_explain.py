"""Explanations: why this technician, travel in, arrival against the window, SLA margin, rejected alternatives."""

from __future__ import annotations

import datetime as dt

import pytest

from service_core.scheduling.fieldservice import (
    FieldServiceDay,
    Interval,
    Technician,
    WorkOrder,
    cheapest_insertion_day,
)
from service_core.scheduling.routing import GeoPoint

DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
SITE = GeoPoint(52.53, 13.42)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def make_day() -> FieldServiceDay:
    far_home, near_home = GeoPoint(52.40, 13.20), GeoPoint(52.531, 13.421)
    technicians = (
        Technician("FAR", {"hvac": 5}, "north", Interval(at(8), at(16)), far_home, far_home, hourly_cost=90.0),
        Technician("NEAR", {"electrical": 5}, "north", Interval(at(8), at(16)), near_home, near_home),
        Technician("OUT", {"hvac": 5}, "south", Interval(at(8), at(16)), near_home, near_home),
    )
    order = WorkOrder(
        "WO1", SITE, "north", {"hvac": 2}, 60.0, Interval(at(10), at(12)), at(13), preferred=frozenset({"FAR"})
    )
    return FieldServiceDay(technicians, (order,))


def test_explanation_of_the_only_qualified_technician() -> None:
    result = cheapest_insertion_day(make_day(), explain=True)
    (explanation,) = result.explanations
    stop = result.plan.stop_of("WO1")
    assert stop is not None
    assert explanation.technician_id == "FAR"
    assert explanation.skills == "hvac 5 >= 2"
    assert explanation.proficiency == 5 and explanation.duration_factor == 0.8
    assert explanation.territory == "north" and explanation.preferred is True
    assert explanation.travel_km_in == pytest.approx(stop.travel_km) and explanation.travel_km_in > 10
    assert explanation.travel_cost_in == pytest.approx(stop.travel_minutes * 90.0 / 60.0)
    assert explanation.start == at(10)  # the window opens at 10: a technician leaving at 08:00 waits
    assert explanation.window_start == at(10) and explanation.window_end == at(12)
    assert explanation.sla_margin_minutes == pytest.approx(180.0 - 48.0)  # 13:00 minus (10:00 + 0.8 x 60 min)
    assert explanation.added_km == pytest.approx(2 * stop.travel_km)


def test_cheaper_alternatives_are_listed_with_why_not() -> None:
    (explanation,) = cheapest_insertion_day(make_day(), explain=True).explanations
    reasons = {alternative.technician_id: alternative.reason for alternative in explanation.alternatives}
    assert reasons == {"NEAR": "not qualified: hvac 0 < 2", "OUT": "territory south != north"}
    assert all(
        alternative.added_km is not None and alternative.added_km < explanation.added_km
        for alternative in explanation.alternatives
    )
