"""The pure rules of resources: a valid working week and availability on a day (daylight saving included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from service_core.resources.domain import (
    Shift,
    availability,
    break_in,
    break_spans,
    merge,
    subtract,
    week_problems,
    working_time,
)

MONDAY, SUNDAY = 0, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_split_shift_and_touching_shifts_are_valid():
    week = [Shift(MONDAY, time(8), time(12)), Shift(MONDAY, time(12), time(13)), Shift(MONDAY, time(14), time(18))]
    assert week_problems(week) == []


def test_the_same_hours_on_different_days_do_not_overlap():
    assert week_problems([Shift(MONDAY, time(8), time(17)), Shift(1, time(8), time(17))]) == []


def test_overlapping_shifts_of_a_weekday_are_named():
    week = [Shift(MONDAY, time(8), time(18)), Shift(MONDAY, time(9), time(10)), Shift(MONDAY, time(11), time(12))]
    assert week_problems(week) == [
        "Monday: 08:00-18:00 overlaps 09:00-10:00",
        "Monday: 08:00-18:00 overlaps 11:00-12:00",
    ]


def test_availability_on_an_ordinary_winter_day_in_berlin():
    # 2024-03-30 is a Saturday; Berlin is UTC+1 before the change
    shifts = [Shift(5, time(8), time(16))]
    assert availability(date(2024, 3, 30), "Europe/Berlin", shifts, []) == [(utc(2024, 3, 30, 7), utc(2024, 3, 30, 15))]


def test_availability_on_the_spring_forward_day_is_an_hour_shorter_across_the_change():
    # 2024-03-31 (Sunday): clocks go from 02:00 to 03:00 in Berlin; a 00:00-06:00 shift lasts five hours
    shifts = [Shift(SUNDAY, time(0), time(6)), Shift(SUNDAY, time(8), time(16))]
    assert availability(date(2024, 3, 31), "Europe/Berlin", shifts, []) == [
        (utc(2024, 3, 30, 23), utc(2024, 3, 31, 4)),
        (utc(2024, 3, 31, 6), utc(2024, 3, 31, 14)),
    ]


def test_availability_on_the_fall_back_day_in_new_york_is_an_hour_longer():
    # 2024-11-03 (Sunday): clocks go from 02:00 EDT back to 01:00 EST
    shifts = [Shift(SUNDAY, time(0), time(6))]
    assert availability(date(2024, 11, 3), "America/New_York", shifts, []) == [
        (utc(2024, 11, 3, 4), utc(2024, 11, 3, 11))
    ]


def test_no_shift_that_weekday_means_no_availability():
    assert availability(date(2024, 4, 1), "UTC", [Shift(1, time(8), time(16))], []) == []


def test_time_off_is_taken_out_of_the_day():
    shifts = [Shift(MONDAY, time(8), time(16))]
    time_off = [(utc(2024, 4, 1, 10), utc(2024, 4, 1, 11)), (utc(2024, 4, 1, 15), utc(2024, 4, 2, 9))]
    assert availability(date(2024, 4, 1), "UTC", shifts, time_off) == [
        (utc(2024, 4, 1, 8), utc(2024, 4, 1, 10)),
        (utc(2024, 4, 1, 11), utc(2024, 4, 1, 15)),
    ]


def test_a_whole_day_off_leaves_nothing():
    shifts = [Shift(MONDAY, time(8), time(16))]
    assert availability(date(2024, 4, 1), "UTC", shifts, [(utc(2024, 3, 31), utc(2024, 4, 2))]) == []


def test_merge_joins_touching_and_overlapping_spans():
    spans = [(utc(2024, 1, 1, 12), utc(2024, 1, 1, 13)), (utc(2024, 1, 1, 8), utc(2024, 1, 1, 12))]
    assert merge(spans) == [(utc(2024, 1, 1, 8), utc(2024, 1, 1, 13))]


def test_subtract_a_hole_outside_changes_nothing():
    spans = [(utc(2024, 1, 1, 8), utc(2024, 1, 1, 12))]
    assert subtract(spans, [(utc(2024, 1, 1, 12), utc(2024, 1, 1, 13))]) == spans


def test_the_break_is_taken_out_of_the_middle_of_the_shift():
    shifts = [Shift(MONDAY, time(8), time(16), break_minutes=30)]
    assert availability(date(2024, 4, 1), "UTC", shifts, []) == [
        (utc(2024, 4, 1, 8), utc(2024, 4, 1, 11, 45)),
        (utc(2024, 4, 1, 12, 15), utc(2024, 4, 1, 16)),
    ]
    assert working_time(date(2024, 4, 1), "UTC", shifts, []) == [(utc(2024, 4, 1, 8), utc(2024, 4, 1, 16))]


def test_each_shift_of_a_split_day_has_its_own_break_on_a_whole_minute():
    shifts = [
        Shift(MONDAY, time(7), time(11), break_minutes=15),
        Shift(MONDAY, time(13), time(17, 30), break_minutes=45),
    ]
    assert break_spans(date(2024, 4, 1), ZoneInfo("Europe/Berlin"), shifts) == [
        (utc(2024, 4, 1, 6, 52), utc(2024, 4, 1, 7, 7)),  # 08:52:30 local floors to 08:52
        (utc(2024, 4, 1, 12, 52), utc(2024, 4, 1, 13, 37)),  # 3 h 45 min of 4 h 30 min halved: 1 h 52 min in
    ]


def test_the_break_sits_in_the_middle_of_the_hours_worked_across_a_daylight_saving_change():
    # 2024-03-31: Berlin skips 02:00-03:00, so a 00:00-08:00 shift is 7 hours (23:00 to 06:00 UTC)
    shifts = [Shift(SUNDAY, time(0), time(8), break_minutes=60)]
    assert availability(date(2024, 3, 31), "Europe/Berlin", shifts, []) == [
        (utc(2024, 3, 30, 23), utc(2024, 3, 31, 2)),
        (utc(2024, 3, 31, 3), utc(2024, 3, 31, 6)),
    ]
    # 2024-11-03: New York repeats 01:00-02:00, so a 00:00-06:00 shift is 7 hours (04:00 to 11:00 UTC)
    fall = [Shift(SUNDAY, time(0), time(6), break_minutes=60)]
    assert break_spans(date(2024, 11, 3), ZoneInfo("America/New_York"), fall) == [
        (utc(2024, 11, 3, 7), utc(2024, 11, 3, 8))
    ]


def test_a_break_that_does_not_fit_or_is_none_takes_nothing_and_time_off_may_cover_it():
    assert break_in((utc(2024, 3, 31, 1), utc(2024, 3, 31, 2)), 60) is None  # shortened by the clock change
    assert break_in((utc(2024, 4, 1, 8), utc(2024, 4, 1, 16)), 0) is None
    shifts = [Shift(MONDAY, time(8), time(16), break_minutes=30)]
    lunch_off = [(utc(2024, 4, 1, 11), utc(2024, 4, 1, 13))]
    assert availability(date(2024, 4, 1), "UTC", shifts, lunch_off) == [
        (utc(2024, 4, 1, 8), utc(2024, 4, 1, 11)),
        (utc(2024, 4, 1, 13), utc(2024, 4, 1, 16)),
    ]
