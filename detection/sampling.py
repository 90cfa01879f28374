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
    factor = max(live_s / trained_s, trained_s / live_s)
    return SamplingMismatch(live_s, trained_s, label) if factor > tolerance else None


def _seconds(value: float) -> str:
    return f"{value:.3g} s" if value < 10 else f"{value:.0f} s"
