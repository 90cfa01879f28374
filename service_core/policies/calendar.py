"""Business-hours calendars (pure): weekly opening intervals in a time zone, holidays, or always open (24x7).

Times go in and out as timezone-aware datetimes (returned in UTC).  Opening intervals are wall-clock minutes of a
local day (0-1440, so 22:00-24:00 plus 00:00-06:00 the next day is an overnight shift); each day's intervals are
turned into absolute instants with zoneinfo, so a day on which the clocks change has as many business minutes as
really elapse (an interval 00:00-24:00 lasts 23 or 25 hours then).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 1440
MAX_SEARCH_DAYS = 3700  # ten years of holidays and closed days before we give up looking for an open minute

Interval = tuple[int, int]  # (start minute, end minute) of a local day, 0 <= start < end <= 1440


def valid_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def minute_of_day(value: time) -> int:
    return value.hour * 60 + value.minute


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a service desk counts SLA time: `hours[weekday]` (ISO, 0 = Monday) are local opening intervals."""

    timezone: str = "UTC"
    hours: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    calendar_id: int | None = None

    def __post_init__(self) -> None:
        if not valid_timezone(self.timezone):
            raise ValueError(f"unknown time zone {self.timezone!r}")
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0 (Monday) … 6 (Sunday)")
            for start, end in intervals:
                if not 0 <= start < end <= MINUTES_PER_DAY:
                    raise ValueError(f"opening interval {start}-{end} is not within a day")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The instant at which `minutes` business minutes have passed since `start` (UTC)."""
        start = _utc(start)
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        remaining = timedelta(minutes=minutes)
        if self.always_open or remaining == timedelta(0):
            return start + remaining
        cursor = start
        for opens, closes in self._intervals(start):
            if closes <= cursor:
                continue
            cursor = max(cursor, opens)
            available = closes - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            cursor = closes
        raise ValueError(f"the calendar has no business hours within {MAX_SEARCH_DAYS} days")

    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Business minutes in [start, end); 0 when end is not after start."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds() / 60
        total = timedelta(0)
        for opens, closes in self._intervals(start, until=end):
            if opens >= end:
                break
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
        return total.total_seconds() / 60

    def is_open(self, at: datetime) -> bool:
        """Whether `at` falls within business hours."""
        at = _utc(at)
        if self.always_open:
            return True
        return any(opens <= at < closes for opens, closes in self._intervals(at, until=at + timedelta(days=2)))

    def _intervals(self, start: datetime, until: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Opening intervals in UTC, in order and merged, from the local day before `start` on."""
        zone = self.zone
        day = start.astimezone(zone).date() - timedelta(days=1)
        last_day = day + timedelta(days=MAX_SEARCH_DAYS)
        if until is not None:
            last_day = min(last_day, until.astimezone(zone).date() + timedelta(days=1))
        pending: tuple[datetime, datetime] | None = None
        while day <= last_day:
            for opens, closes in self._day_intervals(day, zone):
                if pending is not None and opens <= pending[1]:
                    pending = (pending[0], max(pending[1], closes))
                    continue
                if pending is not None:
                    yield pending
                pending = (opens, closes)
            day += timedelta(days=1)
        if pending is not None:
            yield pending

    def _day_intervals(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        result = []
        for start, end in sorted(self.hours.get(day.weekday(), ())):
            opens, closes = _local_instant(day, start, zone), _local_instant(day, end, zone)
            if closes > opens:  # an interval inside a spring-forward gap has no length
                result.append((opens, closes))
        return result


def _local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `minute` of local `day` (1440 is the next day's midnight).

    A wall time the clocks skip (spring forward) maps to the instant of the jump.
    """
    local_day = day + timedelta(days=minute // MINUTES_PER_DAY)
    hour, minute_of_hour = divmod(minute % MINUTES_PER_DAY, 60)
    wall = datetime.combine(local_day, time(hour, minute_of_hour))
    for back in range(MINUTES_PER_DAY):
        probe = wall - timedelta(minutes=back)
        instant = probe.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == probe:
            return instant + timedelta(minutes=1 if back else 0)
    raise ValueError(f"{wall} does not exist in {zone.key}")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.astimezone(UTC)


ALWAYS_OPEN = BusinessCalendar(always_open=True)
