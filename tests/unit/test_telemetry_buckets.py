"""How wide a window's buckets are when the caller caps the points per metric."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service_core.telemetry.buckets import merged_width


@pytest.mark.parametrize(
    ("span", "resolution", "max_points", "width"),
    [
        (timedelta(days=365), "1h", None, None),  # no cap asked for: the resolution's own buckets
        (timedelta(days=30), "1h", 1000, None),  # 720 hourly buckets fit
        (timedelta(days=365), "1h", 2000, timedelta(hours=6)),  # 8,760 -> 1,460
        (timedelta(days=365), "1h", 1000, timedelta(hours=12)),  # -> 730
        (timedelta(days=7), "1m", 1000, timedelta(minutes=15)),  # 10,080 -> 672
        (timedelta(hours=1), "raw", 1000, timedelta(seconds=5)),  # 3,600 seconds -> 720
        (timedelta(days=3650), "1h", 100, timedelta(days=7)),  # the widest there is, even if still too many
    ],
)
def test_the_smallest_nice_width_that_fits_no_finer_than_the_resolution(
    span: timedelta, resolution: str, max_points: int | None, width: timedelta | None
) -> None:
    assert merged_width(span, resolution, max_points) == width
