"""Telemetry ranges of the asset page and the resolution each is read at (pure; the benchmark shares them)."""

from __future__ import annotations

from datetime import timedelta

RANGES: dict[str, timedelta] = {
    "1 hour": timedelta(hours=1),
    "6 hours": timedelta(hours=6),
    "24 hours": timedelta(hours=24),
    "7 days": timedelta(days=7),
    "30 days": timedelta(days=30),
    "90 days": timedelta(days=90),
    "1 year": timedelta(days=365),
}
# `?range=` of the page's URL -> range (a link or bookmark may open the page on any of them)
RANGE_KEYS: dict[str, str] = {"1h": "1 hour", "6h": "6 hours", "24h": "24 hours", "7d": "7 days",
                              "30d": "30 days", "90d": "90 days", "1y": "1 year"}  # fmt: skip
DEFAULT_RANGE = "24h"
MAX_POINTS = 1_000  # per metric: about the pixels of a chart; the API merges buckets beyond it (a year: 12 h)
RAW_UP_TO = timedelta(hours=2)  # a 1 Hz sensor: at most 7,200 raw points
MINUTES_UP_TO = timedelta(days=7)  # at most 10,080 one-minute buckets; beyond: hours (a year is 8,760)


def resolution_for(span: timedelta) -> str:
    """The coarsest detail that still draws the range well: raw, `1m` or `1h` roll-ups (a few thousand points)."""
    if span <= RAW_UP_TO:
        return "raw"
    if span <= MINUTES_UP_TO:
        return "1m"
    return "1h"


def resolution_width(resolution: str) -> timedelta:
    """The width of one bucket of a resolution (a raw reading counts as one second: a 1 Hz sensor)."""
    return {"raw": timedelta(seconds=1), "1m": timedelta(minutes=1)}.get(resolution, timedelta(hours=1))
