"""Pure rules of resources: time zones, a valid working week, where a shift's break lies, and when a resource is
available on a day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Span = tuple[datetime, datetime]


def timezone_name(name: str) -> str:
    """An IANA time zone name (`Europe/Berlin`); a `ValueError` for anything zoneinfo does not know."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


@dataclass(frozen=True, slots=True)
class Shift:
    """Working hours on one weekday (0 = Monday), local times of the resource's time zone."""

    weekday: int
    start: time
    end: time
    break_minutes: int = 0


def week_problems(shifts: Iterable[Shift]) -> list[str]:
    """Why a working week is invalid: shifts of the same weekday that overlap (touching ones are fine)."""
    problems = []
    latest: Shift | None = None  # of the shifts so far that weekday, the one that ends last
    for shift in sorted(shifts, key=lambda s: (s.weekday, s.start, s.end)):
        if latest is not None and latest.weekday == shift.weekday and shift.start < latest.end:
            problems.append(
                f"{WEEKDAY_NAMES[shift.weekday]}: {latest.start:%H:%M}-{latest.end:%H:%M} overlaps "
                f"{shift.start:%H:%M}-{shift.end:%H:%M}"
            )
        if latest is None or latest.weekday != shift.weekday or shift.end > latest.end:
            latest = shift
    return problems


def working_spans(day: date, zone: ZoneInfo, shifts: Iterable[Shift]) -> list[Span]:
    """The UTC spans of the shifts worked on local `day`: clock times are placed with the day's own UTC offset,
    so a shift across a daylight-saving change is an hour shorter or longer, as worked."""
    return merge(span for _, span in _shifts_on(day, zone, shifts))


def break_spans(day: date, zone: ZoneInfo, shifts: Iterable[Shift]) -> list[Span]:
    """The UTC spans of the breaks of the shifts worked on local `day`: each shift's `break_minutes` in one piece
    in its middle, by elapsed time (so a shift across a daylight-saving change has its break in the middle of the
    hours actually worked), starting on a whole minute; none when the break does not fit in the shift."""
    return merge(b for shift, span in _shifts_on(day, zone, shifts) if (b := break_in(span, shift.break_minutes)))


def break_in(span: Span, minutes: int) -> Span | None:
    """A break of `minutes` in the middle of a worked `span`, starting on a whole minute; None if none or no fit."""
    start, end = span
    length = timedelta(minutes=minutes)
    if minutes <= 0 or length >= end - start:
        return None
    offset = (end - start - length) / 2
    begin = start + offset - timedelta(seconds=offset.total_seconds() % 60)
    return begin, begin + length


def _shifts_on(day: date, zone: ZoneInfo, shifts: Iterable[Shift]) -> list[tuple[Shift, Span]]:
    placed = []
    for shift in shifts:
        if shift.weekday != day.weekday():
            continue
        start = datetime.combine(day, shift.start, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, shift.end, tzinfo=zone).astimezone(UTC)
        if end > start:
            placed.append((shift, (start, end)))
    return placed


def merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(spans: Sequence[Span], holes: Iterable[Span]) -> list[Span]:
    """`spans` without any moment covered by `holes`."""
    remaining = list(spans)
    for hole_start, hole_end in merge(holes):
        next_remaining: list[Span] = []
        for start, end in remaining:
            if hole_end <= start or hole_start >= end:
                next_remaining.append((start, end))
                continue
            if start < hole_start:
                next_remaining.append((start, hole_start))
            if hole_end < end:
                next_remaining.append((hole_end, end))
        remaining = next_remaining
    return remaining


def availability(day: date, timezone: str, shifts: Iterable[Shift], time_off: Iterable[Span]) -> list[Span]:
    """When a resource can take work on local `day`, in UTC: its shifts that weekday minus their breaks and minus
    its time off."""
    zone = ZoneInfo(timezone)
    return subtract(working_spans(day, zone, shifts), [*break_spans(day, zone, shifts), *time_off])


def working_time(day: date, timezone: str, shifts: Iterable[Shift], time_off: Iterable[Span]) -> list[Span]:
    """When a resource is at work on local `day`, in UTC: its shifts that weekday minus its time off, breaks kept
    in (for a planner that places each break itself)."""
    return subtract(working_spans(day, ZoneInfo(timezone), shifts), time_off)
