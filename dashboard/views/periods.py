"""Calendar periods the analytics ask the API about."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def month_spans(today: date, months: int) -> list[tuple[date, date]]:
    """[first day, first day of next month) of the last `months` calendar months, oldest first; the last one is
    the current month up to tomorrow."""
    spans: list[tuple[date, date]] = []
    start = today.replace(day=1)
    end = today + timedelta(days=1)
    for _ in range(months):
        spans.append((start, end))
        end = start
        start = (start - timedelta(days=1)).replace(day=1)
    return spans[::-1]


def at_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
