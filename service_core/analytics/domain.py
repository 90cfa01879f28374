"""Pure service metrics: MTBF from failure times, rates, percentiles, DSO.  No database here."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

K = TypeVar("K")

SECONDS_PER_HOUR = 3600.0


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rate(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when there is nothing to measure (never a fake 0 or 100%)."""
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def failure_intervals_hours(failures: Iterable[datetime]) -> list[float]:
    """Hours between consecutive failures of one asset (an asset with n failures gives n-1 intervals)."""
    times = sorted(failures)
    return [(later - earlier).total_seconds() / SECONDS_PER_HOUR for earlier, later in itertools.pairwise(times)]


def mtbf_hours(failures_by_asset: Mapping[K, Iterable[datetime]]) -> tuple[float | None, int]:
    """Mean time between failures pooled over assets, and the number of intervals it rests on."""
    intervals = [h for failures in failures_by_asset.values() for h in failure_intervals_hours(failures)]
    return mean(intervals), len(intervals)


def days_sales_outstanding(receivables: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """DSO = open receivables / credit sales of the period x days in the period, to one decimal."""
    if credit_sales <= 0 or days <= 0:
        return None
    return (receivables / credit_sales * days).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def utilization(worked_hours: float, available_hours: float) -> float | None:
    """Share of the available (scheduled working) hours spent working or travelling on jobs."""
    return worked_hours / available_hours if available_hours > 0 else None
