"""The field-service model: validation, proficiency-scaled durations and eligibility."""

from __future__ import annotations

import datetime as dt

import pytest

from service_core.scheduling.fieldservice import (
    BreakRule,
    FieldServiceDay,
    FieldServiceInputError,
    Interval,
    LockedBooking,
    Priority,
    Technician,
    WorkOrder,
    service_minutes,
)
from service_core.scheduling.fieldservice.model import ineligibility, proficiency_for
from service_core.scheduling.routing import GeoPoint

DAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
HOME = GeoPoint(52.52, 13.40)


def at(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def technician(skills: dict[str, int], *, tech_id: str = "T1", territory: str = "north") -> Technician:
    return Technician(tech_id, skills, territory, Interval(at(8), at(16)), HOME, HOME, None)


def order(required: dict[str, int], *, minutes: float = 60.0, **changes: object) -> WorkOrder:
    fields: dict[str, object] = {
        "id": "WO1",
        "location": GeoPoint(52.55, 13.45),
        "territory": "north",
        "required_skills": required,
        "standard_minutes": minutes,
        "window": Interval(at(8), at(12)),
        "sla_deadline": at(14),
    }
    fields.update(changes)
    return WorkOrder(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("level", "minutes"), [(5, 48.0), (4, 54.0), (3, 60.0), (2, 69.0), (1, 78.0)])
def test_duration_scales_with_proficiency(level: int, minutes: float) -> None:
    assert service_minutes(technician({"hvac": level}), order({"hvac": 1})) == pytest.approx(minutes)


def test_the_weakest_required_skill_sets_the_duration() -> None:
    tech = technician({"hvac": 5, "electrical": 2})
    assert proficiency_for(tech, order({"hvac": 1, "electrical": 1})) == 2
    assert service_minutes(tech, order({"hvac": 1, "electrical": 1})) == pytest.approx(69.0)
    assert service_minutes(tech, order({})) == pytest.approx(60.0)  # nothing required: standard


def test_ineligibility_names_skill_exclusion_and_territory() -> None:
    assert ineligibility(technician({"hvac": 2}), order({"hvac": 3})) == "not qualified: hvac 2 < 3"
    assert ineligibility(technician({"hvac": 3}), order({"hvac": 3}, excluded=frozenset({"T1"}))) == (
        "excluded by the work order"
    )
    assert ineligibility(technician({"hvac": 3}, territory="south"), order({"hvac": 3})) == "territory south != north"
    assert ineligibility(technician({"hvac": 3}), order({"hvac": 3})) is None


def test_must_schedule_covers_sla_critical_emergency_and_high() -> None:
    assert order({}, sla_critical=True, priority=Priority.LOW).must_schedule
    assert order({}, priority=Priority.EMERGENCY).must_schedule
    assert order({}, priority=Priority.HIGH).must_schedule
    assert not order({}, priority=Priority.NORMAL).must_schedule


@pytest.mark.parametrize(
    "build",
    [
        lambda: Interval(at(10), at(9)),
        lambda: Interval(dt.datetime(2026, 11, 23, 8), at(9)),  # naive
        lambda: BreakRule(at(12), at(12.25), 30.0),  # does not fit
        lambda: technician({"hvac": 6}),
        lambda: order({}, minutes=0.0),
        lambda: order({}, preferred=frozenset({"T1"}), excluded=frozenset({"T1"})),
        lambda: LockedBooking("T1", "WO1", at(10), at(10)),
    ],
)
def test_invalid_values_are_refused(build: object) -> None:
    with pytest.raises(FieldServiceInputError):
        build()  # type: ignore[operator]


def test_day_refuses_unknown_or_double_bookings() -> None:
    tech, work = technician({"hvac": 3}), order({"hvac": 1})
    with pytest.raises(FieldServiceInputError, match="unknown"):
        FieldServiceDay((tech,), (work,), locked=(LockedBooking("T9", "WO1", at(9), at(10)),))
    with pytest.raises(FieldServiceInputError, match="more than once"):
        booking = LockedBooking("T1", "WO1", at(9), at(10))
        FieldServiceDay((tech,), (work,), locked=(booking,), in_progress=(booking,))
    with pytest.raises(FieldServiceInputError, match="unique"):
        FieldServiceDay((tech, tech), (work,))
    day = FieldServiceDay((tech,), (work,))
    assert day.order("WO1") is work and day.technician("T1") is tech
    with pytest.raises(FieldServiceInputError):
        day.order("nope")
