"""Sampling intervals: the one a model was trained at and the one a device sends at (pure numpy).

The equipment model's features and the sensor checks count rows, not seconds (`model.SMOOTHING_ROWS`,
`model.LAG_SPANS`, `model.DRIFT_SPAN`, the checks' step and repeat calibration per row), so a model only judges
a device well that samples about as often as its training history did.  Training records the history's interval
(`training_interval`); the live detector estimates each device's from its recent rows (`median_spacing` of its
window) and does not score a device whose interval is too far from the model's (`mismatch`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detection.features import FloatArray

TRAINING_KEY = "sampling_interval_s"  # where training records the interval in a stored model's `training`


def median_spacing(stamps: Sequence[FloatArray]) -> float | None:
    """The median spacing (s) of consecutive readings, pooled over the spacings within each array (epoch seconds,
    oldest first); None without any.  A gap is one long spacing among many, so it hardly moves the median."""
    spacings = [np.diff(ts) for ts in stamps if len(ts) >= 2]
    pooled = np.concatenate(spacings) if spacings else np.zeros(0)
    pooled = pooled[pooled > 0]
    return float(np.median(pooled)) if len(pooled) else None


def training_interval(stamps: Sequence[FloatArray]) -> float | None:
    """The sampling interval of training history (one array of timestamps per device), rounded to milliseconds."""
    spacing = median_spacing(stamps)
    return None if spacing is None else round(spacing, 3)


@dataclass(frozen=True, slots=True)
class TrainingSplit:
    """Training history split by sampling interval: the devices sampled like most of it, and the others."""

    kept: list[int]
    interval_s: float | None  # of the kept devices' history
    left_out: dict[int, float]  # device -> its own interval (s), outside the kept group's `tolerance` span


def split_by_interval(stamps: dict[int, FloatArray], *, tolerance: float) -> TrainingSplit:
    """Keep the largest group of devices whose own intervals are all within `tolerance` times one another (the
    most devices, then the most rows); leave out the others.  A model learns rows, so history pooled from devices
    at 1 s and at 30 s teaches it neither, and its recorded interval would fit one group only.  By devices, not
    rows: one device at 1 s has 30 times the rows of one at 30 s, but the model is for the fleet, most of which
    samples as the largest group does.  Devices with a single reading (no interval) are kept."""
    own = {device: median_spacing([ts]) for device, ts in stamps.items()}
    known = sorted((s, d) for d, s in own.items() if s is not None)
    if not known:
        return TrainingSplit(kept=list(stamps), interval_s=training_interval(list(stamps.values())), left_out={})
    rows = np.cumsum([0, *(len(stamps[d]) for _, d in known)])
    best, low = (0, 0, 0, 0), 0  # (devices, rows, first, last + 1) of the best span of the sorted intervals
    for high in range(len(known)):
        while interval_factor(known[low][0], known[high][0]) > tolerance:
            low += 1
        best = max(best, (high + 1 - low, int(rows[high + 1] - rows[low]), -low, high + 1))
    first, end = -best[2], best[3]
    left_out = {d: s for i, (s, d) in enumerate(known) if not first <= i < end}
    kept = [d for d in stamps if d not in left_out]
    return TrainingSplit(kept=kept, interval_s=training_interval([stamps[d] for d in kept]), left_out=left_out)


def interval_factor(a_s: float, b_s: float) -> float:
    """How many times faster or slower one sampling interval is than the other (1: the same)."""
    return max(a_s / b_s, b_s / a_s)


@dataclass(frozen=True, slots=True)
class SamplingMismatch:
    """A device sampling too far from its model's training interval to be scored by it."""

    live_s: float
    trained_s: float
    label: str  # the model version

    @property
    def reason(self) -> str:
        return (
            f"sampling every {_seconds(self.live_s)}, model {self.label} trained on {_seconds(self.trained_s)} "
            "readings: retrain with `assetpulse detect train` on history at this interval"
        )


def mismatch(*, live_s: float, trained_s: float | None, tolerance: float, label: str) -> SamplingMismatch | None:
    """The mismatch when `live_s` is more than `tolerance` times faster or slower than `trained_s`; None when they
    agree or the training interval is unknown (a model stored before it was recorded: scored as before)."""
    if trained_s is None or trained_s <= 0 or live_s <= 0:
        return None
    return SamplingMismatch(live_s, trained_s, label) if interval_factor(live_s, trained_s) > tolerance else None


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value < 10 else f"{value:.0f} s"
