"""Pure rules of bookings: the status machine, working time and availability, proficiency, manual warnings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from service_core.exceptions import InvalidTransition
from service_core.resources.domain import Shift, break_spans, working_spans  # working hours are the resource's

Interval = tuple[datetime, datetime]


class BookingStatus(StrEnum):
    SCHEDULED = "scheduled"
    TRAVELING = "traveling"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELED = "canceled"


B = BookingStatus
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    B.SCHEDULED: frozenset({B.TRAVELING, B.IN_PROGRESS, B.CANCELED}),
    B.TRAVELING: frozenset({B.IN_PROGRESS, B.CANCELED}),
    B.IN_PROGRESS: frozenset({B.COMPLETED, B.CANCELED}),
    B.COMPLETED: frozenset(),
    B.CANCELED: frozenset(),
}
ACTIVE = frozenset({B.SCHEDULED, B.TRAVELING, B.IN_PROGRESS})


def ensure_transition(current: str, target: str) -> BookingStatus:
    """The target if `current → target` is allowed; `InvalidTransition` naming both otherwise."""
    source, wanted = BookingStatus(current), BookingStatus(target)
    if wanted not in TRANSITIONS[source]:
        allowed = ", ".join(sorted(TRANSITIONS[source])) or "nothing (final)"
        raise InvalidTransition(f"booking cannot go from {source.value} to {wanted.value}; allowed: {allowed}")
    return wanted


def proficiency_factor(proficiency: int) -> float:
    """How long a job takes relative to its estimate: 3 = as estimated, 5 = 0.8x, 1 = 1.3x."""
    level = min(max(proficiency, 1), 5)
    return 1.0 - (level - 3) * 0.1 if level >= 3 else 1.0 + (3 - level) * 0.15


def job_minutes(estimated_minutes: int, proficiencies: Iterable[int]) -> int:
    """The estimate scaled by the weakest required skill's proficiency (no required skill: the estimate)."""
    levels = list(proficiencies)
    factor = proficiency_factor(min(levels)) if levels else 1.0
    return max(1, round(estimated_minutes * factor))


def working_intervals(shifts: Sequence[Shift], timezone: str, start: datetime, end: datetime) -> list[Interval]:
    """The shifts that fall in [start, end), as UTC-aware intervals (clipped to the range), breaks kept in."""
    return _each_local_day(working_spans, shifts, timezone, start, end)


def break_intervals(shifts: Sequence[Shift], timezone: str, start: datetime, end: datetime) -> list[Interval]:
    """The breaks of the shifts that fall in [start, end) (each in the middle of its shift), clipped to the range."""
    return _each_local_day(break_spans, shifts, timezone, start, end)


def free_working_time(shifts: Sequence[Shift], timezone: str, start: datetime, end: datetime) -> list[Interval]:
    """When the resource can take work in [start, end): its shifts less their breaks (time off and bookings are the
    caller's to take out)."""
    return subtract(working_intervals(shifts, timezone, start, end), break_intervals(shifts, timezone, start, end))


def _each_local_day(
    spans_of: Callable[[date, ZoneInfo, Sequence[Shift]], list[Interval]],
    shifts: Sequence[Shift],
    timezone: str,
    start: datetime,
    end: datetime,
) -> list[Interval]:
    zone = ZoneInfo(timezone)
    day: date = start.astimezone(zone).date() - timedelta(days=1)
    result: list[Interval] = []
    while day <= end.astimezone(zone).date():
        result += [(max(a, start), min(b, end)) for a, b in spans_of(day, zone, shifts) if a < end and b > start]
        day += timedelta(days=1)
    return merge(result)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals joined."""
    result: list[Interval] = []
    for a, b in sorted(intervals):
        if result and a <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], b))
        else:
            result.append((a, b))
    return result


def subtract(free: Sequence[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` minus every `busy` interval."""
    result = list(free)
    for b_start, b_end in merge(busy):
        pieces: list[Interval] = []
        for a, b in result:
            if b_end <= a or b_start >= b:
                pieces.append((a, b))
                continue
            if a < b_start:
                pieces.append((a, b_start))
            if b_end < b:
                pieces.append((b_end, b))
        result = pieces
    return result


def earliest_slot(
    free: Sequence[Interval], *, job_minutes: int, travel_minutes: int, not_before: datetime
) -> Interval | None:
    """The earliest job time in a free interval that also fits the travel to the site before it."""
    duration, travel = timedelta(minutes=job_minutes), timedelta(minutes=travel_minutes)
    for a, b in merge(free):
        start = max(a + travel, not_before)
        if start + duration <= b:
            return start, start + duration
    return None


def manual_warnings(
    job: Interval, *, shifts: Sequence[Shift], timezone: str, time_off: Sequence[tuple[datetime, datetime, str]]
) -> list[str]:
    """What is odd about a booking made by hand: outside working hours, during a break or time off (allowed, but
    flagged)."""
    warnings = []
    start, end = job
    covered = subtract([job], working_intervals(shifts, timezone, start, end))
    if covered:
        warnings.append(f"outside the resource's working hours ({timezone})")
    day = timedelta(days=1)
    for break_start, break_end in break_intervals(shifts, timezone, start - day, end + day):
        if break_start < end and start < break_end:
            minutes = int((break_end - break_start).total_seconds() // 60)
            warnings.append(f"during the break (from {break_start.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {minutes} min)")
    for off_start, off_end, reason in time_off:
        if off_start < end and start < off_end:
            since = off_start.astimezone(UTC)
            warnings.append(f"during time off{': ' + reason if reason else ''} (from {since:%Y-%m-%d %H:%M} UTC)")
    return warnings
