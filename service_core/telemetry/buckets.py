"""How wide the buckets of a telemetry window are when a caller asks for at most `max_points` per metric (pure).

A year of 1-hour roll-ups is 8,760 points per metric, several times the pixels of any chart; merged into 6-hour
buckets it is 1,460.  Merging is exact: counts add, means are count-weighted (sum / n), extremes of extremes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service_core.exceptions import InvalidInput

BUCKET_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # merged buckets are aligned to UTC midnight (`date_bin` origin)
RESOLUTION_WIDTH = {"raw": timedelta(seconds=1), "1m": timedelta(minutes=1), "1h": timedelta(hours=1)}
NICE_WIDTHS = tuple(
    timedelta(seconds=s)
    for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
)


def merged_width(span: timedelta, resolution: str, max_points: int | None) -> timedelta | None:
    """The smallest nice bucket width, no finer than the resolution, that keeps `span` to `max_points` buckets;
    None when the resolution's own buckets already fit (or no limit was asked for)."""
    own = RESOLUTION_WIDTH[resolution]
    if max_points is None or span / own <= max_points:
        return None
    wider = [w for w in NICE_WIDTHS if w > own and w % own == timedelta(0)]
    return next((w for w in wider if span / w <= max_points), wider[-1])


def check_range(start: datetime, end: datetime) -> None:
    """A window [start, end) of timezone-aware times that is not empty, or the caller's input is refused."""
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("start and end must be timezone-aware")
    if end <= start:
        raise InvalidInput("end must be after start")
