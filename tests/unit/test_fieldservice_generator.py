"""The seeded day generator: same seed same day, the sizes asked for, and a consistent day."""

from __future__ import annotations

import datetime as dt

from service_core.scheduling.fieldservice import GeneratorSettings, emergency_order, generate_day
from service_core.scheduling.fieldservice.generator import SKILLS, TERRITORIES
from service_core.scheduling.fieldservice.model import ineligibility
from service_core.scheduling.routing.travel import great_circle_km


def test_same_seed_same_day_and_another_seed_another() -> None:
    assert generate_day(GeneratorSettings(seed=7)) == generate_day(GeneratorSettings(seed=7))
    assert generate_day(GeneratorSettings(seed=7)) != generate_day(GeneratorSettings(seed=8))


def test_default_day_has_the_sizes_of_the_issue() -> None:
    day = generate_day()
    assert len(day.work_orders) == 300 and len(day.technicians) == 40
    assert {skill for tech in day.technicians for skill in tech.skills} == set(SKILLS)
    assert {tech.territory for tech in day.technicians} == set(TERRITORIES)
    critical = [order for order in day.work_orders if order.sla_critical]
    assert 10 <= len(critical) <= 60
    assert day.locked and any(tech.time_off for tech in day.technicians)
    assert all(tech.break_rule is not None for tech in day.technicians)
    points = [order.location for order in day.work_orders] + [tech.home_start for tech in day.technicians]
    assert 40.0 <= great_circle_km(points).max() <= 62.0  # a metro region about 60 km across


def test_locked_bookings_and_critical_orders_are_consistent() -> None:
    day = generate_day(GeneratorSettings(seed=3))
    for booking in day.locked:
        order, tech = day.order(booking.work_order_id), day.technician(booking.technician_id)
        assert ineligibility(tech, order) is None
        assert order.window.start <= booking.start <= order.window.end and booking.end <= order.sla_deadline
        assert tech.shift.start < booking.start and booking.end < tech.shift.end
    for order in day.work_orders:
        assert order.window.start <= order.window.end
        if order.sla_critical:  # someone in the territory could do it
            assert any(ineligibility(tech, order) is None for tech in day.technicians)


def test_emergency_order_is_urgent_and_doable() -> None:
    day = generate_day(GeneratorSettings(orders=20, technicians=8))
    now = dt.datetime(2026, 11, 23, 11, tzinfo=dt.UTC)
    emergency = emergency_order(day, now, seed=2)
    assert emergency.sla_critical and emergency.window.start == now
    assert any(ineligibility(tech, emergency) is None for tech in day.technicians)
    assert emergency == emergency_order(day, now, seed=2)
