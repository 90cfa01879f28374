"""Preventive-maintenance due rules: calendar occurrences with lead days, meter thresholds with a 10 % lead."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service_core.agreements.pm_domain import PmDue, calendar_occurrences_due, meter_threshold_due, pm_due

FIRST = date(2026, 1, 10)


def due(today: date, *, interval: int = 30, lead: int = 7, last_day: date | None = None) -> list[date]:
    return calendar_occurrences_due(
        first_due_date=FIRST, interval_days=interval, lead_days=lead, today=today, last_day=last_day
    )


def test_nothing_before_the_first_window_opens():
    assert due(date(2026, 1, 2)) == []


def test_first_occurrence_when_its_lead_window_opens():
    assert due(date(2026, 1, 3)) == [FIRST]
    assert due(date(2026, 1, 10)) == [FIRST]


def test_later_occurrences_are_first_plus_k_intervals():
    assert due(date(2026, 2, 2)) == [FIRST, date(2026, 2, 9)]  # the first is still within one interval
    assert due(date(2026, 3, 4)) == [date(2026, 2, 9), date(2026, 3, 11)]


def test_occurrences_more_than_an_interval_overdue_are_superseded():
    assert due(date(2026, 2, 10)) == [date(2026, 2, 9)]
    assert due(date(2026, 6, 1)) == [date(2026, 5, 10)]


def test_zero_lead_generates_on_the_due_day():
    assert due(date(2026, 1, 9), lead=0) == []
    assert due(date(2026, 1, 10), lead=0) == [FIRST]


def test_occurrences_after_the_agreement_end_are_not_generated():
    assert due(date(2026, 2, 5), last_day=date(2026, 2, 1)) == [FIRST]


def test_invalid_calendar_plan_is_refused():
    with pytest.raises(ValueError, match="interval_days must be positive"):
        due(date(2026, 1, 10), interval=0)


@pytest.mark.parametrize(
    ("run_hours", "expected"),
    [
        ("0", None),
        ("449.9", None),
        ("450", "500.0"),
        ("499", "500.0"),
        ("949.9", "500.0"),
        ("950", "1000.0"),
        ("2000", "2000.0"),
    ],
)
def test_meter_threshold_due_with_ten_percent_lead(run_hours, expected):
    threshold = meter_threshold_due(run_hours=Decimal(run_hours), interval_run_hours=Decimal(500))
    assert threshold == (None if expected is None else Decimal(expected))


def test_pm_due_by_basis():
    today = date(2026, 1, 5)
    calendar = pm_due(
        basis="calendar",
        today=today,
        first_due_date=FIRST,
        interval_days=30,
        lead_days=7,
        interval_run_hours=None,
        run_hours=Decimal(0),
    )
    assert calendar == [PmDue(FIRST)]
    meter = pm_due(
        basis="meter",
        today=today,
        first_due_date=None,
        interval_days=None,
        lead_days=7,
        interval_run_hours=Decimal(250),
        run_hours=Decimal(230),
    )
    assert meter == [PmDue(today, Decimal("250.0"))]
    with pytest.raises(ValueError, match="needs interval_run_hours"):
        pm_due(
            basis="meter",
            today=today,
            first_due_date=None,
            interval_days=None,
            lead_days=7,
            interval_run_hours=None,
            run_hours=Decimal(0),
        )
    with pytest.raises(ValueError, match="unknown basis"):
        pm_due(
            basis="weekly",
            today=today,
            first_due_date=None,
            interval_days=None,
            lead_days=7,
            interval_run_hours=None,
            run_hours=Decimal(0),
        )
