"""The booking status machine, proficiency scaling, working time, availability slotting and manual warnings."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from service_core.bookings import domain
from service_core.bookings.domain import BookingStatus, Shift
from service_core.exceptions import InvalidTransition

ALLOWED = {
    ("scheduled", "traveling"),
    ("scheduled", "in_progress"),
    ("scheduled", "canceled"),
    ("traveling", "in_progress"),
    ("traveling", "canceled"),
    ("in_progress", "completed"),
    ("in_progress", "canceled"),
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=UTC)  # 2025-03-03 is a Monday


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_allowed_transitions(current: str, target: str) -> None:
    assert domain.ensure_transition(current, target) == BookingStatus(target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(a.value, b.value) for a in BookingStatus for b in BookingStatus if (a.value, b.value) not in ALLOWED],
)
def test_other_transitions_are_refused(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition, match=f"booking cannot go from {current} to {target}"):
        domain.ensure_transition(current, target)


@pytest.mark.parametrize(("level", "factor"), [(1, 1.3), (2, 1.15), (3, 1.0), (4, 0.9), (5, 0.8)])
def test_proficiency_scales_the_estimate(level: int, factor: float) -> None:
    assert domain.proficiency_factor(level) == pytest.approx(factor)


def test_job_minutes_follow_the_weakest_required_skill() -> None:
    assert domain.job_minutes(100, [5, 1]) == 130
    assert domain.job_minutes(100, [5]) == 80
    assert domain.job_minutes(100, []) == 100


def test_working_intervals_in_the_resource_time_zone() -> None:
    shifts = [Shift(0, time(8), time(16))]  # Mondays 08-16 in Amsterdam (UTC+1 in March before DST)
    intervals = domain.working_intervals(shifts, "Europe/Amsterdam", at(1, 0), at(8, 0))
    assert intervals == [(at(3, 7), at(3, 15))]


def test_subtract_busy_time_and_earliest_slot_with_travel() -> None:
    free = domain.subtract([(at(3, 8), at(3, 16))], [(at(3, 9), at(3, 10)), (at(3, 12), at(3, 13))])
    assert free == [(at(3, 8), at(3, 9)), (at(3, 10), at(3, 12)), (at(3, 13), at(3, 16))]
    slot = domain.earliest_slot(free, job_minutes=90, travel_minutes=20, not_before=at(3, 8))
    assert slot == (at(3, 10, 20), at(3, 11, 50))
    assert domain.earliest_slot(free, job_minutes=200, travel_minutes=0, not_before=at(3, 8)) is None
    late = domain.earliest_slot(free, job_minutes=30, travel_minutes=0, not_before=at(3, 14))
    assert late == (at(3, 14), at(3, 14, 30))


def test_merge_joins_touching_intervals() -> None:
    assert domain.merge([(at(3, 10), at(3, 11)), (at(3, 8), at(3, 10))]) == [(at(3, 8), at(3, 11))]


def test_manual_warnings_flag_outside_hours_and_time_off() -> None:
    shifts = [Shift(0, time(8), time(16))]
    inside = (at(3, 9), at(3, 10))
    assert domain.manual_warnings(inside, shifts=shifts, timezone="UTC", time_off=[]) == []
    evening = (at(3, 15), at(3, 17))
    assert domain.manual_warnings(evening, shifts=shifts, timezone="UTC", time_off=[]) == [
        "outside the resource's working hours (UTC)"
    ]
    off = [(at(3, 9) - timedelta(hours=1), at(3, 12), "dentist")]
    assert domain.manual_warnings(inside, shifts=shifts, timezone="UTC", time_off=off) == [
        "during time off: dentist (from 2025-03-03 08:00 UTC)"
    ]


def test_free_working_time_leaves_out_each_days_break() -> None:
    shifts = [Shift(0, time(8), time(16), break_minutes=30), Shift(1, time(8), time(16), break_minutes=30)]
    free = domain.free_working_time(shifts, "Europe/Amsterdam", at(3, 0), at(4, 12))  # Monday 00:00 to Tuesday 12:00
    assert free == [
        (at(3, 7), at(3, 10, 45)),
        (at(3, 11, 15), at(3, 15)),
        (at(4, 7), at(4, 10, 45)),
        (at(4, 11, 15), at(4, 12)),
    ]
    assert domain.working_intervals(shifts, "Europe/Amsterdam", at(3, 0), at(4, 12)) == [
        (at(3, 7), at(3, 15)),
        (at(4, 7), at(4, 12)),
    ]


def test_a_manual_booking_over_the_break_is_allowed_but_flagged() -> None:
    shifts = [Shift(0, time(8), time(16), break_minutes=30)]
    over_lunch = (at(3, 11), at(3, 13))
    assert domain.manual_warnings(over_lunch, shifts=shifts, timezone="UTC", time_off=[]) == [
        "during the break (from 2025-03-03 11:45 UTC, 30 min)"
    ]
    morning = (at(3, 9), at(3, 11, 45))
    assert domain.manual_warnings(morning, shifts=shifts, timezone="UTC", time_off=[]) == []
