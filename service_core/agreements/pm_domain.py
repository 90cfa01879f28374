"""Pure rules of preventive maintenance: when a plan's next work order is due, on the calendar or by the meter.

Calendar basis: occurrences fall on `first_due_date + k x interval_days`; one is generated once
`due - lead_days <= today`.  An occurrence more than one interval overdue is superseded by the next one (a
generator that did not run for a while does not flood the board with stale work).

Meter basis: thresholds at every `interval_run_hours` of the asset's run hours; the latest threshold is due once
`run_hours >= threshold - 10 % of the interval`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

METER_LEAD_FRACTION = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class PmDue:
    due_date: date
    meter_threshold: Decimal | None = None


def calendar_occurrences_due(
    *, first_due_date: date, interval_days: int, lead_days: int, today: date, last_day: date | None = None
) -> list[date]:
    """The due dates to generate today: window open (due - lead <= today) and not superseded; up to `last_day`."""
    if interval_days <= 0 or lead_days < 0:
        raise ValueError("interval_days must be positive and lead_days not negative")
    horizon = today + timedelta(days=lead_days)  # due dates whose window is open
    if horizon < first_due_date:
        return []
    newest = (horizon - first_due_date).days // interval_days
    due_dates = []
    for k in range(newest, -1, -1):
        due = first_due_date + timedelta(days=k * interval_days)
        if due <= today - timedelta(days=interval_days):
            break  # superseded: more than one interval overdue
        if last_day is None or due <= last_day:
            due_dates.append(due)
    return sorted(due_dates)


def meter_threshold_due(*, run_hours: Decimal, interval_run_hours: Decimal) -> Decimal | None:
    """The latest meter threshold whose lead has been reached, or None before the first one."""
    if interval_run_hours <= 0:
        raise ValueError("interval_run_hours must be positive")
    lead = interval_run_hours * METER_LEAD_FRACTION
    k = int((run_hours + lead) // interval_run_hours)
    if k < 1:
        return None
    return (interval_run_hours * k).quantize(Decimal("0.1"))


def pm_due(
    *,
    basis: str,
    today: date,
    first_due_date: date | None,
    interval_days: int | None,
    lead_days: int,
    interval_run_hours: Decimal | None,
    run_hours: Decimal,
    last_day: date | None = None,
) -> list[PmDue]:
    """What a plan should generate for one asset today, by its basis."""
    if basis == "calendar":
        if first_due_date is None or interval_days is None:
            raise ValueError("a calendar plan needs first_due_date and interval_days")
        return [
            PmDue(d)
            for d in calendar_occurrences_due(
                first_due_date=first_due_date,
                interval_days=interval_days,
                lead_days=lead_days,
                today=today,
                last_day=last_day,
            )
        ]
    if basis == "meter":
        if interval_run_hours is None:
            raise ValueError("a meter plan needs interval_run_hours")
        threshold = meter_threshold_due(run_hours=run_hours, interval_run_hours=interval_run_hours)
        return [] if threshold is None else [PmDue(today, threshold)]
    raise ValueError(f"unknown basis {basis!r}")
