"""Business-hours calendar arithmetic: weekdays, overnight shifts, holidays, DST change days, 24x7."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service_core.policies.calendar import ALWAYS_OPEN, BusinessCalendar

NINE_TO_FIVE = {d: ((9 * 60, 17 * 60),) for d in range(5)}  # Monday-Friday 09:00-17:00
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def office(tz: str = "UTC", **kwargs: object) -> BusinessCalendar:
    return BusinessCalendar(timezone=tz, hours=NINE_TO_FIVE, **kwargs)  # type: ignore[arg-type]


# 2026-03-02 is a Monday.
def test_minutes_inside_one_day():
    assert office().add_business_minutes(utc(2026, 3, 2, 10), 60) == utc(2026, 3, 2, 11)
    assert office().business_minutes_between(utc(2026, 3, 2, 10), utc(2026, 3, 2, 11, 30)) == 90


def test_start_before_opening_counts_from_opening():
    assert office().add_business_minutes(utc(2026, 3, 2, 6), 30) == utc(2026, 3, 2, 9, 30)
    assert office().business_minutes_between(utc(2026, 3, 2, 6), utc(2026, 3, 2, 9, 30)) == 30


def test_start_after_closing_rolls_to_next_morning():
    assert office().add_business_minutes(utc(2026, 3, 2, 18), 60) == utc(2026, 3, 3, 10)


def test_overflow_carries_into_the_next_day():
    # 16:00 Monday + 4 h: 1 h on Monday, 3 h on Tuesday
    assert office().add_business_minutes(utc(2026, 3, 2, 16), 240) == utc(2026, 3, 3, 12)
    assert office().business_minutes_between(utc(2026, 3, 2, 16), utc(2026, 3, 3, 12)) == 240


def test_weekend_is_skipped():
    friday_four_pm = utc(2026, 3, 6, 16)
    assert office().add_business_minutes(friday_four_pm, 120) == utc(2026, 3, 9, 10)
    assert office().business_minutes_between(friday_four_pm, utc(2026, 3, 9, 10)) == 120
    assert office().business_minutes_between(utc(2026, 3, 7, 0), utc(2026, 3, 9, 0)) == 0


def test_start_on_saturday_waits_for_monday():
    assert office().add_business_minutes(utc(2026, 3, 7, 12), 1) == utc(2026, 3, 9, 9, 1)


def test_holiday_is_skipped():
    calendar = office(holidays=frozenset({date(2026, 3, 3)}))
    assert calendar.add_business_minutes(utc(2026, 3, 2, 16), 120) == utc(2026, 3, 4, 10)
    assert calendar.business_minutes_between(utc(2026, 3, 2, 0), utc(2026, 3, 5, 0)) == 16 * 60


def test_split_shift_skips_the_lunch_break():
    calendar = BusinessCalendar(hours={0: ((8 * 60, 12 * 60), (13 * 60, 17 * 60))})
    assert calendar.add_business_minutes(utc(2026, 3, 2, 11), 120) == utc(2026, 3, 2, 14)
    assert calendar.business_minutes_between(utc(2026, 3, 2, 11), utc(2026, 3, 2, 14)) == 120
    assert not calendar.is_open(utc(2026, 3, 2, 12, 30))
    assert calendar.is_open(utc(2026, 3, 2, 13))


def test_overnight_shift_across_midnight():
    # Monday 22:00-24:00 and Tuesday 00:00-06:00: one continuous night shift
    calendar = BusinessCalendar(hours={0: ((22 * 60, 1440),), 1: ((0, 6 * 60),)})
    assert calendar.add_business_minutes(utc(2026, 3, 2, 23), 180) == utc(2026, 3, 3, 2)
    assert calendar.business_minutes_between(utc(2026, 3, 2, 12), utc(2026, 3, 3, 12)) == 8 * 60
    # after the shift ends, the next one is a week later
    assert calendar.add_business_minutes(utc(2026, 3, 3, 5, 30), 60) == utc(2026, 3, 9, 22, 30)


def test_local_time_zone_is_honoured():
    calendar = office("America/New_York")  # EST is UTC-5 in early March 2026
    assert calendar.add_business_minutes(utc(2026, 3, 2, 13), 60) == utc(2026, 3, 2, 15)  # opens 14:00 UTC


def test_spring_forward_day_in_a_round_the_clock_calendar_has_23_hours():
    # Europe/Berlin jumps 02:00 -> 03:00 on Sunday 2026-03-29
    calendar = BusinessCalendar(timezone="Europe/Berlin", hours={d: ((0, 1440),) for d in range(7)})
    day_start = datetime(2026, 3, 29, tzinfo=BERLIN)
    next_day = datetime(2026, 3, 30, tzinfo=BERLIN)
    assert calendar.business_minutes_between(day_start, next_day) == 23 * 60
    assert calendar.add_business_minutes(day_start, 23 * 60) == next_day.astimezone(UTC)


def test_fall_back_day_has_25_hours():
    calendar = BusinessCalendar(timezone="Europe/Berlin", hours={d: ((0, 1440),) for d in range(7)})
    day_start = datetime(2026, 10, 25, tzinfo=BERLIN)
    assert calendar.business_minutes_between(day_start, datetime(2026, 10, 26, tzinfo=BERLIN)) == 25 * 60


def test_office_hours_keep_their_local_time_across_dst():
    # New York springs forward on 2026-03-08: 09:00 local is 14:00 UTC before and 13:00 UTC after
    calendar = office("America/New_York")
    friday_close = datetime(2026, 3, 6, 17, tzinfo=NEW_YORK)
    due = calendar.add_business_minutes(friday_close - timedelta(minutes=30), 60)
    assert due == datetime(2026, 3, 9, 9, 30, tzinfo=NEW_YORK).astimezone(UTC)
    assert due == utc(2026, 3, 9, 13, 30)


def test_interval_inside_the_spring_forward_gap_has_no_time():
    calendar = BusinessCalendar(timezone="Europe/Berlin", hours={6: ((2 * 60 + 15, 2 * 60 + 45),)})
    sunday = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert calendar.business_minutes_between(sunday, sunday + timedelta(days=1)) == 0
    assert calendar.business_minutes_between(sunday + timedelta(days=7), sunday + timedelta(days=8)) == 30


def test_always_open_is_plain_arithmetic():
    start = utc(2026, 3, 7, 23)
    assert ALWAYS_OPEN.add_business_minutes(start, 90) == utc(2026, 3, 8, 0, 30)
    assert ALWAYS_OPEN.business_minutes_between(start, utc(2026, 3, 8, 0, 30)) == 90
    always = BusinessCalendar(timezone="Europe/Berlin", hours={}, always_open=True)
    assert (
        always.business_minutes_between(datetime(2026, 3, 29, tzinfo=BERLIN), datetime(2026, 3, 30, tzinfo=BERLIN))
        == 1380
    )


def test_results_are_utc_and_accept_other_offsets():
    result = office().add_business_minutes(datetime(2026, 3, 2, 11, tzinfo=BERLIN), 30)  # 10:00 UTC
    assert result == utc(2026, 3, 2, 10, 30)
    assert result.tzinfo == UTC


def test_fractional_minutes_and_zero():
    assert office().add_business_minutes(utc(2026, 3, 2, 10), 0.5) == utc(2026, 3, 2, 10, 0, 30)
    assert office().add_business_minutes(utc(2026, 3, 7, 10), 0) == utc(2026, 3, 7, 10)


def test_between_is_zero_when_end_is_not_after_start():
    assert office().business_minutes_between(utc(2026, 3, 2, 12), utc(2026, 3, 2, 10)) == 0


def test_add_and_between_are_inverse_over_a_long_span():
    calendar = office("Europe/Berlin", holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)}))
    start = utc(2026, 3, 20, 15, 17)
    for minutes in (1, 59, 480, 2000, 9999):
        end = calendar.add_business_minutes(start, minutes)
        assert calendar.business_minutes_between(start, end) == pytest.approx(minutes)


def test_refusals():
    with pytest.raises(ValueError, match="timezone-aware"):
        office().add_business_minutes(datetime(2026, 3, 2, 10), 5)
    with pytest.raises(ValueError, match="negative"):
        office().add_business_minutes(utc(2026, 3, 2, 10), -1)
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="not within a day"):
        BusinessCalendar(hours={0: ((600, 500),)})
    with pytest.raises(ValueError, match="no business hours"):
        BusinessCalendar(hours={}).add_business_minutes(utc(2026, 3, 2), 1)


def test_interval_starting_inside_the_gap_starts_at_the_jump():
    # 02:30-04:00 on the spring-forward day: the clocks jump from 02:00 to 03:00, so one hour is open
    calendar = BusinessCalendar(timezone="Europe/Berlin", hours={6: ((2 * 60 + 30, 4 * 60),)})
    sunday = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert calendar.business_minutes_between(sunday, sunday + timedelta(days=1)) == 60
    assert calendar.add_business_minutes(sunday, 1) == utc(2026, 3, 29, 1, 1)
